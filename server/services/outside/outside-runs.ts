import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { guessRole, ROLES, rolesFromTags, storedKey, type KeyRoles, type Role } from "../../../lib/outside-metrics";
import type { MetricPoint, RunStatus } from "../../../lib/protocol";
import { RunConfig } from "../../../lib/run-config";
import { Prisma, type Db } from "../../db/db";
import type { Hub } from "../hub/hub";
import type { RunSummary } from "../hub/run-summary";
import type { MetricWriter } from "../metrics/metrics";
import type { Ownership } from "../runs/leases";
import type { RunService } from "../runs/runs";
import type { Watch } from "../supervisor/watch";

export type OutsideSource = "mlflow" | "tensorboard";

/** One point as an outside trainer named it. value null: NaN or Infinity. wallTime in seconds. */
export interface OutsidePoint {
  name: string;
  step: number;
  value: number | null;
  wallTime: number;
}

export interface CreateOutside {
  name: string;
  source: OutsideSource;
  experimentId?: number;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** ms since the epoch */
  startTime?: number;
  userName?: string | null;
  status?: RunStatus;
}

/** Params that say how many steps the run will take, as trainers commonly name them. */
const TOTAL_STEP_PARAMS = ["max_steps", "total_steps", "max_iters", "num_train_steps", "train_steps", "trainer/max_steps", "steps", "training/steps"];
/** lastLogAt is written at most this often per run; the stall watch keeps its own clock in memory. */
const LAST_LOG_WRITE_MS = 5000;
/** An outside trainer may log rarely (Hugging Face logs every 500 steps by default): a longer stall threshold unless the run sets one. */
export const OUTSIDE_STALL_S = 900;
export const STALL_TAG = "pretrain.stall_seconds";

interface Names {
  roles: KeyRoles;
  byName: Map<string, string>;
  byKey: Map<string, string>;
  /** New names are assigned one batch at a time, in order. */
  lock: Promise<unknown>;
}

/**
 * Runs whose steps come from a trainer this server did not start: through the MLflow API or from
 * TensorBoard files. Their points take the same path as our trainers' (the metric writer, the live
 * push, the detectors), under stored keys mapped from their original names (lib/outside-metrics).
 */
export class OutsideRuns {
  private names = new Map<string, Promise<Names>>();
  private lastLogWrite = new Map<string, number>();

  constructor(
    private db: Db,
    private hub: Hub,
    private writer: MetricWriter,
    private watch: Watch,
    private runs: RunService,
    private ownership: Ownership,
  ) {}

  async create(input: CreateOutside): Promise<RunSummary> {
    const name = input.name.trim().slice(0, 250) || "outside run";
    const config = RunConfig.parse({ name: name.slice(0, 100) });
    const tags = input.tags ?? {};
    const roles = rolesFromTags({}, tags);
    const lease = this.ownership.newLease();
    const status = input.status ?? "running";
    const started = input.startTime !== undefined ? new Date(input.startTime) : new Date();
    const run = await this.db.run.create({
      data: {
        name, config: JSON.stringify(config), token: crypto.randomBytes(24).toString("hex"), totalSteps: totalSteps(input.params ?? {}) ?? 0,
        source: input.source, experimentId: input.experimentId ?? null, userName: input.userName ?? null, status,
        startedAt: started, createdAt: started, keyRoles: JSON.stringify(roles), lastLogAt: new Date(),
        params: { create: Object.entries(input.params ?? {}).map(([key, value]) => ({ key, value })) },
        tags: { create: Object.entries(tags).map(([key, value]) => ({ key, value })) },
        ...(lease ? { lease: { create: lease } } : {}),
      },
    });
    if (lease) this.ownership.hold(run.id);
    if (status === "running") this.watchRun(run.id, tags);
    const summary = await this.runs.get(run.id);
    this.hub.runChanged(summary);
    return summary;
  }

  /** Throws NOT_FOUND unless the run exists and is an outside one. */
  async row(runId: string) {
    const run = await this.db.run.findUnique({ where: { id: runId } });
    if (!run || run.source === "trainer") throw new TRPCError({ code: "NOT_FOUND", message: `No outside run with id ${runId}` });
    return run;
  }

  /** Stores the points (resolves once committed), pushes them live and feeds the run's detectors. */
  async log(runId: string, points: OutsidePoint[]): Promise<void> {
    if (points.length === 0) return;
    const names = await this.keysFor(runId, points.map((p) => p.name));
    // One point per (key, step), the last one given: a multi-row upsert may not touch a row twice.
    const byKeyStep = new Map<string, MetricPoint>();
    for (const p of points) {
      const key = names.byName.get(p.name)!;
      byKeyStep.set(`${key}\u0000${p.step}`, { step: p.step, key, value: p.value, wallTime: p.wallTime });
    }
    const stored = [...byKeyStep.values()];
    this.hub.metrics(runId, stored);
    this.watch.metrics(runId, stored);
    await this.writer.enqueue(runId, stored);
    this.hub.pushMetrics(runId);
    await this.noteLog(runId);
  }

  private async noteLog(runId: string) {
    const now = Date.now();
    if (now - (this.lastLogWrite.get(runId) ?? 0) < LAST_LOG_WRITE_MS) return;
    this.lastLogWrite.set(runId, now);
    await this.db.run.update({ where: { id: runId }, data: { lastLogAt: new Date(now) } });
  }

  /** MLflow params are written once: the same value again is fine, a different one is refused. */
  async logParams(runId: string, params: Record<string, string>): Promise<void> {
    const keys = Object.keys(params);
    if (keys.length === 0) return;
    const existing = await this.db.runParam.findMany({ where: { runId, key: { in: keys } } });
    for (const p of existing)
      if (p.value !== params[p.key])
        throw new TRPCError({ code: "BAD_REQUEST", message: `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${p.value}' for run ID='${runId}'. Attempted logging new value '${params[p.key]}'.` });
    const fresh = keys.filter((k) => !existing.some((p) => p.key === k));
    await this.db.$transaction(fresh.map((key) => this.db.runParam.upsert({ where: { runId_key: { runId, key } }, create: { runId, key, value: params[key] }, update: {} })));
    const steps = totalSteps(params);
    if (steps !== null) await this.db.run.update({ where: { id: runId }, data: { totalSteps: steps } });
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    const keys = Object.keys(tags);
    if (keys.length === 0) return;
    await this.db.$transaction(keys.map((key) => this.db.runTag.upsert({ where: { runId_key: { runId, key } }, create: { runId, key, value: tags[key] }, update: { value: tags[key] } })));
    const named = rolesFromTags({}, tags);
    if (Object.keys(named).length > 0) await this.setRoles(runId, named);
  }

  async deleteTag(runId: string, key: string): Promise<boolean> {
    const { count } = await this.db.runTag.deleteMany({ where: { runId, key } });
    return count > 0;
  }

  /** MLflow's statuses become ours; an ended run is no longer watched for stalls. */
  async setStatus(runId: string, status: RunStatus, endTimeMs?: number): Promise<void> {
    const ended = !["running", "queued", "stopping"].includes(status);
    await this.db.run.update({ where: { id: runId }, data: { status, endedAt: ended ? new Date(endTimeMs ?? Date.now()) : null } });
    if (ended) {
      this.watch.ended(runId);
      if (this.ownership.owns(runId)) await this.ownership.release(runId).catch((e) => console.error(`run ${runId}: releasing its lease failed:`, e));
    } else {
      const tags = await this.tags(runId);
      this.watchRun(runId, tags);
    }
    this.hub.runChanged(await this.runs.get(runId));
  }

  async rename(runId: string, name: string) {
    await this.db.run.update({ where: { id: runId }, data: { name: name.trim().slice(0, 250) || "outside run" } });
    this.hub.runChanged(await this.runs.get(runId));
  }

  async tags(runId: string): Promise<Record<string, string>> {
    const rows = await this.db.runTag.findMany({ where: { runId } });
    return Object.fromEntries(rows.map((t) => [t.key, t.value]));
  }

  async params(runId: string): Promise<Record<string, string>> {
    const rows = await this.db.runParam.findMany({ where: { runId } });
    return Object.fromEntries(rows.map((p) => [p.key, p.value]));
  }

  /** Stored key → original name, for every name the run has logged. */
  async metricNames(runId: string): Promise<Record<string, string>> {
    return Object.fromEntries((await this.loadNames(runId)).byKey);
  }

  async roles(runId: string): Promise<KeyRoles> {
    return (await this.loadNames(runId)).roles;
  }

  /**
   * Gives roles to original names (from the UI or a `pretrain.key.<role>` tag). Points already
   * stored move to their new keys in one transaction, so the charts and detectors follow at once.
   */
  async setRoles(runId: string, changes: KeyRoles): Promise<KeyRoles> {
    const names = await this.loadNames(runId);
    const run = names.lock.then(async () => {
      await this.writer.flush();
      const roles: KeyRoles = { ...names.roles };
      for (const role of ROLES) {
        if (!(role in changes)) continue;
        const name = changes[role];
        if (name) for (const other of ROLES) if (other !== role && roles[other] === name) delete roles[other];
        if (name) roles[role] = name;
        else delete roles[role];
      }
      const moves = [...names.byName].map(([name, from]) => ({ name, from, to: storedKey(name, roles) })).filter((m) => m.from !== m.to);
      await this.db.$transaction(async (tx) => {
        // Through temporary keys, as two names may swap keys.
        for (const [i, m] of moves.entries()) await renameKey(tx, runId, m.from, `_mv.${i}`);
        for (const [i, m] of moves.entries()) await renameKey(tx, runId, `_mv.${i}`, m.to);
        await tx.metricName.deleteMany({ where: { runId, name: { in: moves.map((m) => m.name) } } });
        for (const m of moves) await tx.metricName.create({ data: { runId, key: m.to, name: m.name } });
        await tx.run.update({ where: { id: runId }, data: { keyRoles: JSON.stringify(roles) } });
      });
      this.writer.forget(runId);
      this.names.delete(runId);
      await this.refreshSummary(runId);
      return roles;
    });
    names.lock = run.catch(() => undefined);
    return run;
  }

  /** What an outside trainer uploaded through the artifact proxy (checkpoints, configs), newest first, at most `limit` files. */
  artifacts(runId: string, limit = 500): { path: string; bytes: number; modifiedAt: string }[] {
    const base = path.join(this.runs.runDir(runId), "artifacts");
    const out: { path: string; bytes: number; modifiedAt: string }[] = [];
    const walk = (dir: string, rel: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (out.length >= limit || e.name.startsWith(".upload-")) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
        else if (e.isFile()) {
          const stat = fs.statSync(p);
          out.push({ path: rel + e.name, bytes: stat.size, modifiedAt: stat.mtime.toISOString() });
        }
      }
    };
    if (fs.existsSync(base)) walk(base, "");
    return out.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
  }

  /** The runs table's loss and throughput, from whichever names hold those roles now. */
  private async refreshSummary(runId: string) {
    const latest = (key: string, finite: boolean) =>
      this.db.metric.findFirst({ where: { runId, key, ...(finite ? { value: { not: null } } : {}) }, orderBy: { step: "desc" } });
    const [loss, lastLossStep, tps] = await Promise.all([latest("loss", true), latest("loss", false), latest("tokens_per_sec", false)]);
    await this.db.run.update({
      where: { id: runId },
      data: { lastLoss: loss?.value ?? null, tokensPerSec: tps?.value ?? null, ...(lastLossStep ? { step: lastLossStep.step + 1 } : {}) },
    });
    this.hub.runChanged(await this.runs.get(runId));
  }

  /** At boot: the outside runs still logging are watched for stalls again, from their last log. */
  async resumeWatching() {
    const rows = await this.db.run.findMany({ where: { source: { not: "trainer" }, status: "running" }, select: { id: true, lastLogAt: true, step: true } });
    for (const row of rows) {
      if (!this.ownership.owns(row.id)) continue;
      this.watchRun(row.id, await this.tags(row.id), row.lastLogAt?.getTime());
    }
  }

  private watchRun(runId: string, tags: Record<string, string>, lastLogAt?: number) {
    const stall = Number(tags[STALL_TAG]);
    const stallSeconds = Number.isFinite(stall) && stall >= 5 && stall <= 86_400 ? stall : OUTSIDE_STALL_S;
    this.watch.startedOutside(runId, { stallSeconds }, lastLogAt);
  }

  private loadNames(runId: string): Promise<Names> {
    let names = this.names.get(runId);
    if (!names) {
      names = (async () => {
        const [run, rows] = await Promise.all([this.row(runId), this.db.metricName.findMany({ where: { runId } })]);
        return {
          roles: JSON.parse(run.keyRoles) as KeyRoles,
          byName: new Map(rows.map((r) => [r.name, r.key])),
          byKey: new Map(rows.map((r) => [r.key, r.name])),
          lock: Promise.resolve(),
        };
      })();
      this.names.set(runId, names);
      names.catch(() => this.names.delete(runId));
    }
    return names;
  }

  /** The stored keys of these names, giving new names a key (and a role, if one fits) first. */
  private async keysFor(runId: string, wanted: string[]): Promise<Names> {
    const names = await this.loadNames(runId);
    if (wanted.every((n) => names.byName.has(n))) return names;
    const assigned = names.lock.then(async () => {
      const fresh = [...new Set(wanted)].filter((n) => !names.byName.has(n));
      if (fresh.length === 0) return;
      const roles = { ...names.roles };
      for (const name of fresh) {
        const role: Role | null = guessRole(name, roles);
        if (role) roles[role] = name;
      }
      const rows = fresh.map((name) => ({ runId, name, key: storedKey(name, roles) }));
      await this.db.$transaction([
        ...rows.map((r) => this.db.metricName.upsert({ where: { runId_key: { runId, key: r.key } }, create: r, update: {} })),
        ...(JSON.stringify(roles) !== JSON.stringify(names.roles) ? [this.db.run.update({ where: { id: runId }, data: { keyRoles: JSON.stringify(roles) } })] : []),
      ]);
      names.roles = roles;
      for (const r of rows) {
        names.byName.set(r.name, r.key);
        names.byKey.set(r.key, r.name);
      }
    });
    names.lock = assigned.catch(() => undefined);
    await assigned;
    return names;
  }
}

async function renameKey(tx: Pick<Db, "$executeRaw">, runId: string, from: string, to: string) {
  for (const table of ["Metric", "MetricRollup", "SupersededMetric", "Alert"])
    await tx.$executeRaw(Prisma.sql`UPDATE ${Prisma.raw(`"${table}"`)} SET "key" = ${to} WHERE "runId" = ${runId} AND "key" = ${from}`);
}

function totalSteps(params: Record<string, string>): number | null {
  for (const key of TOTAL_STEP_PARAMS) {
    const n = Number(params[key]);
    if (Number.isInteger(n) && n > 0 && n < 2 ** 31) return n;
  }
  return null;
}
