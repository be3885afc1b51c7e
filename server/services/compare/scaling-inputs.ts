import type { ScalingRunInput } from "../../../lib/scaling/runs";
import type { Db } from "../../db/db";
import type { OutsideRuns } from "../outside/outside-runs";
import { compareSummary } from "./compare";

/** Params an outside run may log its N and D under (MLflow log_param), first match wins. */
export const OUTSIDE_PARAM_KEYS = ["n_params", "num_params", "param_count", "parameters"] as const;
export const OUTSIDE_TOKEN_KEYS = ["tokens", "n_tokens", "tokens_seen", "train_tokens"] as const;

function numberParam(params: Record<string, string>, keys: readonly string[]): number | null {
  for (const k of keys) {
    const v = Number(params[k]);
    if (params[k] !== undefined && Number.isFinite(v) && v > 0) return v;
  }
  return null;
}

/**
 * N, D and best val loss per run for the scaling panel. This trainer's runs: N is the count its
 * trainer reported (all parameters) and D the tokens seen (the compare summary's). Outside runs
 * have no model this server knows: they give N and D as params.
 */
export async function scalingInputs(db: Db, outside: OutsideRuns, runIds: string[]): Promise<ScalingRunInput[]> {
  const { rows } = await compareSummary(db, runIds);
  const sources = new Map((await db.run.findMany({ where: { id: { in: runIds } }, select: { id: true, source: true } })).map((r) => [r.id, r.source]));
  return Promise.all(rows.map(async (r): Promise<ScalingRunInput> => {
    const base = { id: r.runId, name: r.name, status: r.status, bestValLoss: r.bestValLoss?.value ?? null };
    if (sources.get(r.runId) === "trainer") return { ...base, params: r.paramCount, tokens: r.tokensSeen > 0 ? r.tokensSeen : null };
    const params = await outside.params(r.runId);
    return { ...base, params: numberParam(params, OUTSIDE_PARAM_KEYS), tokens: numberParam(params, OUTSIDE_TOKEN_KEYS) };
  }));
}
