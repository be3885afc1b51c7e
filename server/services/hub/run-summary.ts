import type { KeyRoles } from "../../../lib/outside-metrics";
import type { RunStatus } from "../../../lib/protocol";
import { RunConfig } from "../../../lib/run-config";
import type { Checkpoint, Run } from "../../db/db";

type Dates = "createdAt" | "startedAt" | "endedAt" | "lastLogAt";
/** What leaves the server about a run: no token, parsed config, and dates as ISO strings (as JSON sends them). */
export type RunSummary = Omit<Run, "token" | "config" | "workerLeaseUntil" | "workerExit" | "keyRoles" | "labels" | Dates> & {
  status: RunStatus;
  labels: string[];
  /** Outside runs: the original metric name of each role (lib/outside-metrics). */
  keyRoles: KeyRoles;
  lastLogAt: string | null;
  config: RunConfig;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** Queued runs that start before this one, while it waits for a trainer slot; null otherwise. */
  queueAhead: number | null;
};

export function toSummary(run: Run, queueAhead: number | null = null): RunSummary {
  const { token: _token, workerLeaseUntil: _lease, workerExit: _exit, config, createdAt, startedAt, endedAt, lastLogAt, keyRoles, labels, ...rest } = run;
  return {
    ...rest,
    queueAhead: run.status === "queued" ? queueAhead : null,
    status: run.status as RunStatus,
    config: RunConfig.parse(JSON.parse(config)),
    createdAt: createdAt.toISOString(),
    startedAt: startedAt?.toISOString() ?? null,
    endedAt: endedAt?.toISOString() ?? null,
    lastLogAt: lastLogAt?.toISOString() ?? null,
    keyRoles: JSON.parse(keyRoles) as KeyRoles,
    labels: JSON.parse(labels) as string[],
  };
}

export function checkpointRow(c: Checkpoint) {
  return { ...c, createdAt: c.createdAt.toISOString() };
}
