import crypto from "node:crypto";
import os from "node:os";
import type { Db } from "../../db/db";

/** Registry rows nobody has renewed for this many lease lifetimes are removed. */
const PRUNE_AFTER_TTLS = 360;

export function newInstanceId(): string {
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, "").slice(0, 24) || "host";
  return `${host}-${process.pid}-${crypto.randomBytes(3).toString("hex")}`;
}

/** The instances sharing the database, each with the address trainers reach it at and a heartbeat. */
export class Instances {
  constructor(
    private db: Db,
    readonly id: string,
    private ttlMs: number,
  ) {}

  /** Registers this instance, or renews its heartbeat (and its address, known only after listen). */
  async beat(url: string) {
    const data = { url, host: os.hostname(), pid: process.pid, heartbeatAt: new Date() };
    await this.db.instance.upsert({ where: { id: this.id }, create: { id: this.id, ...data }, update: data });
  }

  /** Instances whose heartbeat is recent, this one included, oldest first. */
  async live(): Promise<{ id: string; url: string; host: string }[]> {
    return this.db.instance.findMany({
      where: { heartbeatAt: { gte: new Date(Date.now() - this.ttlMs) } },
      select: { id: true, url: true, host: true },
      orderBy: { startedAt: "asc" },
    });
  }

  /** Why this id may not join now: a live instance elsewhere (another machine, or a live process here) uses it. */
  async clash(): Promise<string | null> {
    const row = await this.db.instance.findUnique({ where: { id: this.id } });
    if (!row || row.heartbeatAt.getTime() < Date.now() - this.ttlMs) return null;
    if (row.host === os.hostname() && (row.pid === process.pid || !processAlive(row.pid))) return null;
    return `INSTANCE_ID ${this.id} is in use by a live instance (pid ${row.pid} on ${row.host}); give each instance its own, or leave INSTANCE_ID unset`;
  }

  async prune() {
    await this.db.instance.deleteMany({ where: { heartbeatAt: { lt: new Date(Date.now() - PRUNE_AFTER_TTLS * this.ttlMs) } } });
  }

  async leave() {
    await this.db.instance.deleteMany({ where: { id: this.id } });
  }
}

function processAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
