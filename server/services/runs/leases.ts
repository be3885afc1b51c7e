import { ACTIVE_STATUSES } from "../../../lib/protocol";
import type { Db } from "../../db/db";

/**
 * Which runs this instance supervises and watches. Alone, it owns them all; in a cluster, each
 * run is owned through a lease row that its owner renews, and that any instance may take once it
 * has expired.
 */
export interface Ownership {
  readonly clustered: boolean;
  readonly instanceId: string;
  /** Takes the run's lease, or renews it when it is ours; false when a live instance holds it. */
  claim(runId: string): Promise<boolean>;
  /** Whether this instance holds the run's lease, as far as it knows (renewals check it). */
  owns(runId: string): boolean;
  /** Lets the lease go: the run needs no owner (it ended), or another instance may take it now. */
  release(runId: string): Promise<void>;
  /** The lease a new run's row is created with, so that no instance ever sees it unowned. */
  newLease(): { owner: string; expiresAt: Date } | null;
  /** Notes a lease created with newLease(). */
  hold(runId: string): void;
  /** Every leased run, and whether its lease is still live. */
  leases(): Promise<Map<string, { owner: string; live: boolean }>>;
}

/** The single instance: everything is its own, and nothing is stored. */
export class SoloOwnership implements Ownership {
  readonly clustered = false;
  constructor(readonly instanceId = "solo") {}
  async claim() {
    return true;
  }
  owns() {
    return true;
  }
  async release() {}
  newLease() {
    return null;
  }
  hold() {}
  async leases() {
    return new Map<string, { owner: string; live: boolean }>();
  }
}

/** A unique or foreign-key violation: the row was created meanwhile, or the run is gone. */
function conflict(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === "P2002" || code === "P2003";
}

/**
 * Run leases in the database, taken with conditional updates (WHERE owner = me, or WHERE it has
 * expired), so two instances racing for one run cannot both win, on SQLite as on PostgreSQL.
 * Times come from each instance's clock: instances on several machines need their clocks in sync
 * to well under LEASE_TTL_MS.
 */
export class Leases implements Ownership {
  readonly clustered = true;
  private owned = new Set<string>();

  constructor(
    private db: Db,
    readonly instanceId: string,
    private ttlMs: number,
  ) {}

  private expiry() {
    return new Date(Date.now() + this.ttlMs);
  }

  async claim(runId: string): Promise<boolean> {
    const now = new Date();
    const mine = await this.db.runLease.updateMany({ where: { runId, owner: this.instanceId }, data: { expiresAt: this.expiry() } });
    if (mine.count === 0) {
      const taken = await this.db.runLease.updateMany({
        where: { runId, expiresAt: { lt: now } },
        data: { owner: this.instanceId, expiresAt: this.expiry(), acquiredAt: now, takeovers: { increment: 1 } },
      });
      if (taken.count === 0) {
        try {
          await this.db.runLease.create({ data: { runId, owner: this.instanceId, expiresAt: this.expiry() } });
        } catch (e) {
          if (conflict(e)) return false;
          throw e;
        }
      }
    }
    this.owned.add(runId);
    return true;
  }

  owns(runId: string) {
    return this.owned.has(runId);
  }

  ownedIds() {
    return [...this.owned];
  }

  async release(runId: string) {
    this.owned.delete(runId);
    await this.db.runLease.deleteMany({ where: { runId, owner: this.instanceId } });
  }

  /** Forgets a lease locally (it was lost, or this instance can no longer renew it). */
  forget(runId: string) {
    this.owned.delete(runId);
  }

  newLease() {
    return { owner: this.instanceId, expiresAt: this.expiry() };
  }

  hold(runId: string) {
    this.owned.add(runId);
  }

  /** Extends every lease still ours; returns the runs whose lease another instance took meanwhile. */
  async renew(): Promise<string[]> {
    const ids = this.ownedIds();
    if (ids.length === 0) return [];
    await this.db.runLease.updateMany({ where: { runId: { in: ids }, owner: this.instanceId }, data: { expiresAt: this.expiry() } });
    const kept = new Set((await this.db.runLease.findMany({ where: { runId: { in: ids }, owner: this.instanceId }, select: { runId: true } })).map((l) => l.runId));
    // Released meanwhile (the run ended) is not lost.
    const lost = ids.filter((id) => !kept.has(id) && this.owned.has(id));
    for (const id of lost) this.owned.delete(id);
    return lost;
  }

  /** Runs an instance may take over now: an expired lease, or an active run with none. */
  async claimable(): Promise<string[]> {
    const expired = await this.db.runLease.findMany({ where: { expiresAt: { lt: new Date() } }, select: { runId: true }, orderBy: { acquiredAt: "asc" } });
    const unowned = await this.db.run.findMany({ where: { status: { in: [...ACTIVE_STATUSES] }, lease: { is: null } }, select: { id: true }, orderBy: { createdAt: "asc" } });
    return [...new Set([...expired.map((l) => l.runId), ...unowned.map((r) => r.id)])];
  }

  async leases() {
    const now = Date.now();
    const rows = await this.db.runLease.findMany({ select: { runId: true, owner: true, expiresAt: true } });
    return new Map(rows.map((l) => [l.runId, { owner: l.owner, live: l.expiresAt.getTime() >= now }]));
  }

  /** Hands every lease over at once (a graceful exit with peers alive): they take the runs at their next tick. */
  async releaseAll() {
    const ids = this.ownedIds();
    this.owned.clear();
    if (ids.length) await this.db.runLease.updateMany({ where: { runId: { in: ids }, owner: this.instanceId }, data: { expiresAt: new Date(0) } });
  }

  /** Where the run's owner can be reached, for a trainer that came to the wrong instance. */
  async ownerOf(runId: string): Promise<{ owner: string; live: boolean } | null> {
    const lease = await this.db.runLease.findUnique({ where: { runId } });
    return lease ? { owner: lease.owner, live: lease.expiresAt.getTime() >= Date.now() } : null;
  }
}
