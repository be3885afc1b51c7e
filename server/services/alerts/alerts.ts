import crypto from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { AlertType, Anomaly } from "../../../lib/anomaly/types";
import type { Alert, Db } from "../../db/db";
import { toAlertRow, type AlertRow } from "../hub/alert-row";
import type { Hub } from "../hub/hub";
import { SoloOwnership, type Ownership } from "../runs/leases";

/** Where alerts go besides the database and the browsers. */
export interface AlertSink {
  dispatch(alert: Alert & { runName: string }): void;
}

/**
 * A detector fires on every anomalous point; a spike over three steps or a NaN that persists would
 * otherwise be a storm. An anomaly within this many steps of the last one of its run and type
 * (stored or folded in) continues that alert instead of starting a new one.
 */
export const COALESCE_STEPS = 10;
/** Each of these is its own event, however close together. */
const NEVER_COALESCED = new Set<AlertType>(["crash", "oom", "rollback", "restart", "recovery_exhausted", "checkpoint_corrupt", "trainer_conflict"]);

/**
 * What makes a finding the same finding: the launch (a hash of its token), type, step, key and
 * occurrence. A batch re-sent after a takeover is watched again by the new owner, and the same
 * spike at the same step must not become a second alert (nor a second webhook POST).
 */
export function dedupKey(token: string, a: Anomaly): string {
  const launch = crypto.createHash("sha256").update(token).digest("hex").slice(0, 16);
  return `${launch}:${a.type}:${a.step}:${a.key ?? ""}:${a.repeat ?? 0}`;
}

const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === "P2002";


/** Stores alerts, pushes them to browsers, hands unmuted ones to the webhooks; acknowledge and mute. */
export class AlertService {
  sink: AlertSink | null = null;

  constructor(
    private db: Db,
    private hub: Hub,
    /** Only the run's owner raises its alerts (scale-out). */
    private ownership: Ownership = new SoloOwnership(),
  ) {}

  /** One at a time, so coalescing sees every alert stored before it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Step of the latest anomaly per run and type. */
  private lastSeen = new Map<string, number>();

  /** Stores and pushes one finding; null when it was folded into a recent alert of the same kind. */
  raise(runId: string, a: Anomaly): Promise<AlertRow | null> {
    const stored = this.queue.then(() => this.store(runId, a));
    this.queue = stored.catch(() => {});
    return stored;
  }

  private async store(runId: string, a: Anomaly): Promise<AlertRow | null> {
    if (!this.ownership.owns(runId)) {
      console.warn(`run ${runId}: a ${a.type} alert at step ${a.step} was not raised here, as another instance now owns the run`);
      return null;
    }
    if (!NEVER_COALESCED.has(a.type)) {
      const key = `${runId}:${a.type}`;
      // After a restart or a takeover, the last alert of its kind is in the database, not in memory.
      const previous = this.lastSeen.get(key) ?? (await this.lastStored(runId, a.type));
      this.lastSeen.set(key, a.step);
      if (previous !== undefined && Math.abs(previous - a.step) <= COALESCE_STEPS) return null;
    }
    const run = await this.db.run.findUnique({ where: { id: runId }, select: { token: true } });
    const muted = await this.isMuted(runId, a.type);
    let alert;
    try {
      alert = await this.db.alert.create({
        data: {
          runId, type: a.type, severity: a.severity, step: a.step, value: finite(a.value), threshold: finite(a.threshold),
          message: a.message.slice(0, 2000), key: a.key ?? null, muted, dedupKey: run ? dedupKey(run.token, a) : null,
        },
        include: { run: { select: { name: true } } },
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      console.log(`run ${runId}: the ${a.type} alert at step ${a.step} is already stored (seen again after a replay or a takeover); not raised twice`);
      return null;
    }
    const row = toAlertRow(alert);
    this.hub.alert(row);
    if (!muted) this.sink?.dispatch({ ...alert, runName: alert.run.name });
    return row;
  }

  private async lastStored(runId: string, type: string): Promise<number | undefined> {
    const last = await this.db.alert.findFirst({ where: { runId, type }, orderBy: { id: "desc" }, select: { step: true } });
    return last?.step;
  }

  async list(opts: { runId?: string; limit: number; unacknowledgedOnly?: boolean }): Promise<AlertRow[]> {
    const rows = await this.db.alert.findMany({
      where: { runId: opts.runId, ...(opts.unacknowledgedOnly ? { acknowledged: false, muted: false } : {}) },
      orderBy: { id: "desc" },
      take: opts.limit,
      include: { run: { select: { name: true } } },
    });
    return rows.map(toAlertRow);
  }

  /** What the header badge counts: unacknowledged, unmuted warnings and criticals. */
  async unacknowledged(): Promise<{ count: number; critical: number }> {
    const where = { acknowledged: false, muted: false, severity: { in: ["warning", "critical"] } };
    const [count, critical] = await Promise.all([
      this.db.alert.count({ where }),
      this.db.alert.count({ where: { ...where, severity: "critical" } }),
    ]);
    return { count, critical };
  }

  /** Per run, its alerts that were not muted: warnings and criticals, and how many are still unacknowledged; for the runs table's flags. */
  async countsByRun(): Promise<Record<string, { warning: number; critical: number; open: number }>> {
    const rows = await this.db.alert.groupBy({ by: ["runId", "severity", "acknowledged"], where: { muted: false, severity: { in: ["warning", "critical"] } }, _count: { _all: true } });
    const out: Record<string, { warning: number; critical: number; open: number }> = {};
    for (const r of rows) {
      const c = (out[r.runId] ??= { warning: 0, critical: 0, open: 0 });
      c[r.severity as "warning" | "critical"] += r._count._all;
      if (!r.acknowledged) c.open += r._count._all;
    }
    return out;
  }

  /** Acknowledges the given alerts, or every alert of a run, or every alert. */
  async acknowledge(target: { ids: number[] } | { runId: string | null }): Promise<number> {
    const where = "ids" in target ? { id: { in: target.ids } } : target.runId ? { runId: target.runId } : {};
    const { count } = await this.db.alert.updateMany({ where: { ...where, acknowledged: false }, data: { acknowledged: true, acknowledgedAt: new Date() } });
    this.hub.alertsChanged("runId" in target ? target.runId : null);
    return count;
  }

  /** Mutes a type ("*" for all) for a run or for every run, for some minutes or until unmuted; matching open alerts are acknowledged. */
  async mute(m: { runId: string | null; type: AlertType | "*"; minutes: number | null }) {
    if (m.runId && !(await this.db.run.findUnique({ where: { id: m.runId }, select: { id: true } })))
      throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${m.runId}` });
    const until = m.minutes === null ? null : new Date(Date.now() + m.minutes * 60_000);
    const mute = await this.db.alertMute.create({ data: { runId: m.runId, type: m.type, until } });
    await this.db.alert.updateMany({
      where: { acknowledged: false, ...(m.runId ? { runId: m.runId } : {}), ...(m.type === "*" ? {} : { type: m.type }) },
      data: { acknowledged: true, acknowledgedAt: new Date() },
    });
    this.hub.alertsChanged(m.runId);
    return muteRow(mute);
  }

  async unmute(id: number) {
    const { count } = await this.db.alertMute.deleteMany({ where: { id } });
    if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: `No mute with id ${id}` });
    this.hub.alertsChanged(null);
  }

  /** Mutes still in force, for one run (with the global ones) or all. */
  async mutes(runId?: string) {
    const rows = await this.db.alertMute.findMany({
      where: { OR: [{ until: null }, { until: { gt: new Date() } }], ...(runId ? { AND: [{ OR: [{ runId }, { runId: null }] }] } : {}) },
      orderBy: { id: "desc" },
    });
    return rows.map(muteRow);
  }

  private async isMuted(runId: string, type: string): Promise<boolean> {
    const mute = await this.db.alertMute.findFirst({
      where: {
        AND: [
          { OR: [{ runId }, { runId: null }] },
          { OR: [{ type }, { type: "*" }] },
          { OR: [{ until: null }, { until: { gt: new Date() } }] },
        ],
      },
    });
    return mute !== null;
  }
}

function muteRow(m: { id: number; runId: string | null; type: string; until: Date | null; createdAt: Date }) {
  return { ...m, until: m.until?.toISOString() ?? null, createdAt: m.createdAt.toISOString() };
}

const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
