import { z } from "zod";
import { BACKENDS } from "./run-config";

/** The backends a run can name explicitly; `auto` picks one of them. */
export const EXPLICIT_BACKENDS = BACKENDS.filter((b) => b !== "auto") as Exclude<(typeof BACKENDS)[number], "auto">[];

/** What each backend does on this machine, as `npm run backends -- --json` prints it. */
export const BackendReport = z.object({
  /** The backend `auto` starts here. */
  auto: z.enum(EXPLICIT_BACKENDS),
  cores: z.number().int().min(1),
  /** Memory a trainer here may use: the cgroup limit, else the machine's RAM (host/memory-limit.ts). */
  memoryBytes: z.number().positive().optional(),
  backends: z.array(
    z.object({
      name: z.enum(EXPLICIT_BACKENDS),
      available: z.boolean(),
      /** Why not, or what it runs on (package, adapter, speed caveat). */
      detail: z.string(),
    }),
  ),
});
export type BackendReport = z.infer<typeof BackendReport>;

/** The backend select's options: where auto lands, and which cannot start here. */
export function backendChoices(report: BackendReport | null): { value: string; label: string }[] {
  return BACKENDS.map((value) => {
    if (!report) return { value, label: value };
    if (value === "auto") return { value, label: `auto → ${report.auto} here` };
    return { value, label: report.backends.find((b) => b.name === value)?.available === false ? `${value} (unavailable)` : value };
  });
}

/** What the form says under the backend field: a hint, or an error for a backend that cannot start here. */
export function backendNote(choice: string, report: BackendReport | null, probeError: string | null): { hint?: string; error?: string } {
  if (probeError) return { hint: `Could not check the backends on this machine: ${probeError}` };
  if (!report) return { hint: "Checking which backends start on this machine…" };
  if (choice === "auto") {
    const at = report.backends.findIndex((b) => b.name === report.auto);
    const skipped = report.backends.slice(0, at).map((b) => `${b.name}: ${b.detail}`);
    return { hint: `Here auto takes ${report.auto}: ${report.backends[at]?.detail ?? ""}${skipped.length ? ` (skipped ${skipped.join("; ")})` : ""}` };
  }
  const entry = report.backends.find((b) => b.name === choice);
  if (!entry) return {};
  return entry.available ? { hint: entry.detail } : { error: `${choice} cannot start on this machine: ${entry.detail}` };
}
