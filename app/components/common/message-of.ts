/** The message a failed call should show: a field's own message when the server named one. */
export function messageOf(e: unknown): string {
  const fields = (e as { data?: { fieldErrors?: Record<string, string> } })?.data?.fieldErrors;
  if (fields) return Object.values(fields).join("; ");
  return e instanceof Error ? e.message : String(e);
}
