import { planRun, type PlanConfig } from "./planning/plan";
import { fmtBytesDecimal } from "./planning/format";

/** wasm32 addresses at most 4 GiB: the wasm backend keeps every tensor in that one heap. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** Where the trainer's tensors live, as the check sees it: wasm's own heap, or the machine's memory. */
export type MemoryBackend = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";

export interface MemoryVerdict {
  /** The Plan's "This trainer" total (checkpointed when gradient checkpointing is on). */
  needBytes: number;
  /** This machine's memory or the process's cgroup limit. */
  machineBytes: number;
  /** What the backend can use: the machine's memory, or less on wasm. */
  limitBytes: number;
  fits: boolean;
  /** "needs ~13.3 TB, this machine has 24 GiB; the wasm backend can address 4 GiB"; null when it fits. */
  message: string | null;
}

const gib = (bytes: number) => `${bytes >= 10 * 2 ** 30 ? Math.round(bytes / 2 ** 30) : (bytes / 2 ** 30).toFixed(1).replace(/\.0$/, "")} GiB`;

/** Bytes the trainer holds at its peak: fp32 weights, gradients, optimizer state and one pass's activations. */
export function trainerMemoryBytes(c: PlanConfig): number {
  const plan = planRun({ ...c, gpus: 1, accelerator: "h100", mfu: 0.4, measuredTokensPerSec: null });
  return c.gradientCheckpointing ? plan.memory.trainer.totalCheckpointed : plan.memory.trainer.total;
}

/**
 * The Plan's memory estimate against this machine and the backend the run will train on (`auto`
 * counts as the backend it resolves to, when known). The same check runs in the form, on
 * run.create and in the trainer before it allocates.
 */
export function checkMemory(c: PlanConfig, backend: MemoryBackend, machineBytes: number): MemoryVerdict {
  const needBytes = trainerMemoryBytes(c);
  const limitBytes = backend === "wasm" ? Math.min(WASM_HEAP_BYTES, machineBytes) : machineBytes;
  const fits = needBytes <= limitBytes;
  const wasm = backend === "wasm" ? `; the wasm backend can address ${gib(WASM_HEAP_BYTES)}` : "";
  const message = fits ? null : `needs ~${fmtBytesDecimal(needBytes)}, this machine has ${gib(machineBytes)}${wasm}`;
  return { needBytes, machineBytes, limitBytes, fits, message };
}

/** What to do about a run that does not fit; said after the numbers. */
export const MEMORY_ADVICE = "make the model, batch or context smaller, or set a micro-batch or gradient checkpointing";

/** The refusal the form and run.create give, beside the "Try anyway" box (the ignoreMemoryCheck field). */
export function memoryRefusal(verdict: MemoryVerdict): string {
  return `This run ${verdict.message}. Make the model, batch or context smaller, or set a micro-batch or gradient checkpointing; or tick "Try anyway"`;
}
