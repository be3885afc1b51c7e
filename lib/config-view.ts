import { DEFAULT_THRESHOLDS, type AnomalyThresholds } from "./anomaly/thresholds";
import { describeExclusion, isEmptyExclusion } from "./exclusion";
import { faultId } from "./faults";
import { LABELS, RunConfig, type RunConfigKey } from "./run-config";

/** A config field as the run page shows it: only fields that apply, and whether it differs from the default. */
export interface ConfigRow {
  key: RunConfigKey;
  label: string;
  value: string;
  changed: boolean;
}

/** Whether a field means anything for this config (a step-decay factor does not under cosine). */
export function applies(c: RunConfig, k: RunConfigKey): boolean {
  switch (k) {
    case "name":
      return false;
    case "prefixFraction":
      return c.objective === "prefix";
    case "adafactorRelativeStep":
      return c.optimizer === "adafactor";
    case "beta2":
      return c.optimizer !== "adafactor";
    case "decayEvery":
    case "decayFactor":
      return c.schedule === "step";
    case "plateauPatience":
    case "plateauFactor":
      return c.schedule === "plateau";
    case "minLr":
      return c.schedule === "cosine";
    case "batchRampTokens":
      return c.batchRampStart > 0;
    case "rollbackSkipBatches":
    case "rollbackLrScale":
    case "rollbackLrSteps":
    case "maxRollbacks":
      return c.recovery === "rollback";
    case "maxRestarts":
      return c.restartOnCrash;
    case "evalExamples":
    case "evalBudget":
      return c.evals.length > 0;
    case "faults":
      return c.faults.length > 0;
    case "initFrom":
      return c.initFrom !== null;
    case "mixWeights":
      return Object.keys(c.mixWeights).length > 0;
    case "exclude":
      return !isEmptyExclusion(c.exclude);
    case "alertWebhook":
      return c.alertWebhook !== "";
    // Stabilisers show only when on.
    case "zLoss":
      return c.zLoss > 0;
    case "qkNorm":
      return c.qkNorm;
    case "logitSoftCap":
      return c.logitSoftCap !== null;
    case "attnSoftCap":
      return c.attnSoftCap !== null;
    default:
      return true;
  }
}

export function configValue(config: RunConfig, k: RunConfigKey): string {
  switch (k) {
    case "evals":
      return config.evals.map((e) => `${e.task}${e.file === "synthetic" ? " (synthetic)" : ""}`).join(", ") || "none";
    case "anomaly": {
      const changed = (Object.keys(DEFAULT_THRESHOLDS) as (keyof AnomalyThresholds)[]).filter((t) => config.anomaly[t] !== DEFAULT_THRESHOLDS[t]);
      return changed.map((t) => `${t} ${config.anomaly[t]}`).join(", ") || "defaults";
    }
    case "faults":
      return config.faults.map(faultId).join(", ");
    case "initFrom":
      return config.initFrom ? `${config.initFrom.runId} @ ${config.initFrom.step}${config.initFrom.continue ? " (continued)" : ""}` : "none";
    case "exclude":
      return describeExclusion(config.exclude);
    case "mixWeights":
      return Object.entries(config.mixWeights).map(([d, w]) => `${d} ${w}`).join(", ") || "dataset's";
    case "queue":
      return config.queue ?? "this server";
    case "alertWebhook": // the host only: a whole URL would stretch the table
      return config.alertWebhook ? `${new URL(config.alertWebhook).host}/…` : "none";
    default:
      return String(config[k]);
  }
}

export function configRows(config: RunConfig): ConfigRow[] {
  const defaults = RunConfig.parse({ name: config.name });
  return (Object.keys(LABELS) as RunConfigKey[])
    .filter((k) => applies(config, k))
    .map((k) => ({ key: k, label: LABELS[k], value: configValue(config, k), changed: JSON.stringify(config[k]) !== JSON.stringify(defaults[k]) }));
}
