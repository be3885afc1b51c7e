import { formBoolean, formNumber } from "../form-number";
import { RunConfigFields } from "../run-config";
import type { PlanConfig } from "./plan";

const KEYS = [
  "arch", "nLayer", "nHead", "dModel", "contextLength", "batchSize", "microBatchSize",
  "batchRampStart", "batchRampTokens", "steps", "optimizer", "gradientCheckpointing",
] as const satisfies readonly (keyof PlanConfig)[];

export type PlanConfigResult = { ok: true; config: PlanConfig } | { ok: false; invalid: string[] };

/**
 * The plan's fields from form values as typed (strings) or parsed (numbers), each checked with the
 * run config's own field schema. An absent field takes its default; an empty one is invalid, as in
 * the form. Cross-field rules are left to the form: the estimates stay defined without them.
 */
export function readPlanConfig(values: Partial<Record<string, unknown>>, vocabSize: number): PlanConfigResult {
  const out: Record<string, unknown> = {};
  const invalid: string[] = [];
  for (const k of KEYS) {
    const raw = values[k];
    // The schema takes numbers and booleans only; a form's text is tried as itself, then converted.
    const tries = typeof raw === "string" ? [raw, formBoolean(raw), formNumber(raw)] : [raw];
    const r = tries.map((v) => RunConfigFields.shape[k].safeParse(v)).find((x) => x.success);
    if (r) out[k] = r.data;
    else invalid.push(k);
  }
  if (!Number.isInteger(vocabSize) || vocabSize < 1) invalid.push("vocabSize");
  return invalid.length ? { ok: false, invalid } : { ok: true, config: { ...(out as Omit<PlanConfig, "vocabSize">), vocabSize } };
}
