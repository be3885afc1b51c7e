import type { Db } from "../db/db";

/**
 * Whether a webhook mutation touches a global webhook (one for every run): by its runId when it
 * creates one, or by the stored row's when it names an id.
 */
export async function touchesGlobalWebhook(db: Db, input: unknown): Promise<boolean> {
  const x = (input ?? {}) as { runId?: unknown; id?: unknown };
  if ("runId" in x) return x.runId === null || x.runId === undefined;
  if (typeof x.id !== "number") return false;
  const row = await db.webhook.findUnique({ where: { id: x.id }, select: { runId: true } });
  return row !== null && row.runId === null;
}
