import type { z } from "zod";

/**
 * The form field an issue belongs to: its path down to the first array index, dotted, so a nested
 * object's fields get their own ("anomaly.spikeZ") while a list is one field ("evals").
 */
export function fieldOf(path: readonly PropertyKey[]): string {
  const end = path.findIndex((p) => typeof p === "number" || /^\d+$/.test(String(p)));
  const key = path.slice(0, end < 0 ? undefined : end).map(String).join(".");
  return key || "form";
}

/** The first message per form field, from the client's own validation. */
export function formFieldErrors(error: z.ZodError): Partial<Record<string, string>> {
  return firstPerField(error.issues.map((i) => [fieldOf(i.path), i.message]));
}

/** The server's field errors (keyed by full dotted paths) keyed by form field the same way. */
export function formFieldsOf(serverErrors: Record<string, string>): Partial<Record<string, string>> {
  return firstPerField(Object.entries(serverErrors).map(([path, message]) => [fieldOf(path.split(".")), message]));
}

/** Field names can come from input ("__proto__" in a record's keys): collected in a Map, never indexed into a plain object. */
function firstPerField(pairs: [string, string][]): Partial<Record<string, string>> {
  const out = new Map<string, string>();
  for (const [field, message] of pairs) if (!out.has(field)) out.set(field, message);
  return Object.fromEntries(out);
}
