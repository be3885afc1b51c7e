import type { z } from "zod";

/** Nested objects whose members are form fields of their own ("anomaly.spikeZ"). */
const NESTED_FIELDS = new Set(["anomaly"]);
/** Fields typed as one JSON object keyed by the person's names: an issue below them is that field's, naming the key. */
const RECORD_FIELDS = new Set(["mixWeights"]);

/**
 * The form field an issue belongs to: a nested group's member ("anomaly.spikeZ"), else the
 * top-level field, so a list ("evals.0.file") or a record's key ("mixWeights.code") is one field.
 */
export function fieldOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "form";
  const top = String(path[0]);
  if (NESTED_FIELDS.has(top) && path.length > 1 && typeof path[1] !== "number" && !/^\d+$/.test(String(path[1]))) return `${top}.${String(path[1])}`;
  return top;
}

/** The message as shown beside its field: an issue inside a record names the key it is about. */
function messageAt(path: readonly PropertyKey[], message: string): string {
  return RECORD_FIELDS.has(String(path[0])) && path.length > 1 ? `"${path.slice(1).map(String).join(".")}": ${message}` : message;
}

/** The first message per form field, from the client's own validation. */
export function formFieldErrors(error: z.ZodError): Partial<Record<string, string>> {
  return issueErrors(error.issues);
}

/** The same for issues from any check (the form's own, beyond the schema). */
export function issueErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Partial<Record<string, string>> {
  return firstPerField(issues.map((i) => [fieldOf(i.path), messageAt(i.path, i.message)]));
}

/** The server's field errors (keyed by full dotted paths) keyed by form field the same way. */
export function formFieldsOf(serverErrors: Record<string, string>): Partial<Record<string, string>> {
  return firstPerField(Object.entries(serverErrors).map(([key, message]) => {
    const path = key === "form" ? [] : key.split(".");
    return [fieldOf(path), messageAt(path, message)];
  }));
}

/**
 * The first message per field; a record field keeps one per key, joined, so every bad key shows
 * at once. Field names can come from input ("__proto__" in a record's keys): collected in a Map,
 * never indexed into a plain object.
 */
function firstPerField(pairs: [string, string][]): Partial<Record<string, string>> {
  const out = new Map<string, string[]>();
  for (const [field, message] of pairs) {
    const seen = out.get(field);
    if (!seen) out.set(field, [message]);
    else if (RECORD_FIELDS.has(field) && !seen.some((m) => keyOf(m) === keyOf(message))) seen.push(message);
  }
  return Object.fromEntries([...out].map(([field, messages]) => [field, messages.join("; ")]));
}

/** The key a record field's message names ('"code": At least 0' → "code"). */
const keyOf = (message: string) => /^"([^"]*)":/.exec(message)?.[1] ?? message;
