/** What the detectors can find. */
export const ANOMALY_TYPES = [
  "loss_spike", "loss_drop", "nan", "grad_explosion", "grad_vanishing", "throughput_drop", "stall", "crash", "oom", "eval_regression",
] as const;
/** What a run did about one (recovery policies and the restart policy); these go on the timeline too. */
export const ACTION_TYPES = ["skip_step", "rollback", "restart", "recovery_exhausted", "stopped", "resumed"] as const;
/** What the server refused or found about a run's files and trainer channel. */
export const INTEGRITY_TYPES = ["checkpoint_corrupt", "trainer_conflict"] as const;
export const ALERT_TYPES = [...ANOMALY_TYPES, ...ACTION_TYPES, ...INTEGRITY_TYPES] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];
export type ActionType = (typeof ACTION_TYPES)[number];
export type AlertType = (typeof ALERT_TYPES)[number];

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One finding of a detector, before it is stored as an alert. */
export interface Anomaly {
  type: AlertType;
  severity: Severity;
  /** The step it was seen at (the last known step for stalls and crashes). */
  step: number;
  /** The observed value (null for NaN/Inf or where there is none). */
  value: number | null;
  /** The limit it crossed, in the value's units. */
  threshold: number | null;
  /** One sentence a person can act on: what, how far past the limit, against what window. */
  message: string;
  /** The metric key it was seen on, where there is one. */
  key?: string;
  /** Which occurrence this is of an event that can recur at one step (a rollback's attempt). */
  repeat?: number;
}

export const SEVERITY_OF: Record<AlertType, Severity> = {
  loss_spike: "warning",
  loss_drop: "warning",
  nan: "critical",
  grad_explosion: "warning",
  grad_vanishing: "warning",
  throughput_drop: "warning",
  stall: "critical",
  crash: "critical",
  oom: "critical",
  eval_regression: "warning",
  skip_step: "info",
  stopped: "info",
  resumed: "info",
  rollback: "info",
  restart: "info",
  recovery_exhausted: "critical",
  checkpoint_corrupt: "critical",
  trainer_conflict: "critical",
};

/** An Anomaly with the severity its type carries. */
export function anomaly(a: Omit<Anomaly, "severity">): Anomaly {
  return { ...a, severity: SEVERITY_OF[a.type] };
}

/** A NaN or Inf on a watched metric (reported as value null). */
export function nanAnomaly(key: string, step: number): Anomaly {
  return anomaly({ type: "nan", step, value: null, threshold: null, key, message: `${key} is NaN or Inf at step ${step}` });
}

/** Three significant digits for messages; thousands separated. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  return String(Number(x.toPrecision(3)));
}
