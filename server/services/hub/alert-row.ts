import type { AlertType, Severity } from "../../../lib/anomaly/types";
import type { Alert } from "../../db/db";

/** What leaves the server about an alert. */
export type AlertRow = Omit<Alert, "type" | "severity" | "createdAt" | "acknowledgedAt" | "dedupKey"> & {
  type: AlertType;
  severity: Severity;
  runName: string;
  createdAt: string;
  acknowledgedAt: string | null;
};

export function toAlertRow(a: Alert & { run: { name: string } }): AlertRow {
  const { run, createdAt, acknowledgedAt, dedupKey: _key, ...rest } = a;
  return {
    ...rest,
    type: a.type as AlertType,
    severity: a.severity as Severity,
    runName: run.name,
    createdAt: createdAt.toISOString(),
    acknowledgedAt: acknowledgedAt?.toISOString() ?? null,
  };
}
