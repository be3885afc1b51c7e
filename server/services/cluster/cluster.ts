import type { WebhookService } from "../alerts/webhooks";
import type { Leases } from "../runs/leases";
import type { RunService } from "../runs/runs";
import type { Supervisor } from "../supervisor/supervisor";
import type { TrainerChannel } from "../supervisor/trainer-channel";
import type { Instances } from "./instances";

export interface ClusterOptions {
  renewMs: number;
  ttlMs: number;
  /** SERVER_URLS: more addresses trainers may fail over to. */
  serverUrls: string[];
}

/** Why a trainer's handshake was refused here although its token is good: it should try elsewhere. */
export class NotOwner extends Error {
  constructor(
    message: string,
    readonly ownerUrl: string | null,
  ) {
    super(message);
  }
}

/**
 * One instance's part in a cluster: on each tick (LEASE_RENEW_MS) it renews its registry
 * heartbeat and its run leases, gives up the runs whose lease another instance took, passes on
 * stops asked on other instances, takes over the runs whose lease expired (their owner died), and
 * resumes webhook deliveries their sender left pending.
 */
export class Cluster {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private lastRenewed = Date.now();
  private takeovers = false;
  private url = "";
  private peers: { id: string; url: string }[] = [];
  /** Takeovers under way, so a trainer arriving meanwhile waits for its adoption. */
  private taking = new Map<string, Promise<void>>();

  constructor(
    private leases: Leases,
    private instances: Instances,
    private runs: RunService,
    private supervisor: Supervisor,
    private channel: TrainerChannel,
    private webhooks: WebhookService,
    private opts: ClusterOptions,
  ) {}

  get instanceId() {
    return this.leases.instanceId;
  }

  /** Registers this instance (no address yet); throws when its id is a live instance's. */
  async join() {
    const clash = await this.instances.clash();
    if (clash) throw new Error(clash);
    await this.instances.beat("");
  }

  /** Starts the ticks; expired leases are taken only once enableTakeovers says boot is done. */
  start() {
    this.timer = setInterval(() => void this.tick(), this.opts.renewMs);
    this.timer.unref();
  }

  enableTakeovers() {
    this.takeovers = true;
  }

  /** The address this instance is reached at, once it listens. */
  async listening(url: string) {
    this.url = url;
    await this.instances.beat(url);
    await this.instances.prune();
    await this.refreshPeers();
  }

  /** Where a trainer of this instance may go when it loses this one: SERVER_URLS, then the live peers. */
  fallbackUrls(): string[] {
    return [...this.opts.serverUrls, ...this.peers.map((p) => p.url)].filter((u) => u && u !== this.url);
  }

  tick(): Promise<void> {
    this.ticking ??= this.renewAndScan().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async renewAndScan() {
    try {
      if (this.url) await this.instances.beat(this.url);
      const lost = await this.leases.renew();
      this.lastRenewed = Date.now();
      for (const runId of lost) this.relinquish(runId, "another instance took its lease (this one did not renew it in time)");
      await this.runs.stopsAskedElsewhere(this.leases.ownedIds(), (id) => this.supervisor.stopAsked(id));
      await this.refreshPeers();
      if (this.takeovers) await this.takeOverExpired();
      await this.webhooks.resumeAbandoned();
    } catch (e) {
      console.error(`cluster: lease renewal failed (${(e as Error).message}); retrying in ${this.opts.renewMs} ms`);
      // Past its TTL another instance may hold the leases: supervising on would make two owners.
      if (Date.now() - this.lastRenewed > this.opts.ttlMs)
        for (const runId of this.leases.ownedIds()) this.relinquish(runId, `its lease could not be renewed for ${Math.round((Date.now() - this.lastRenewed) / 1000)} s`);
    }
  }

  private async refreshPeers() {
    this.peers = (await this.instances.live()).filter((i) => i.id !== this.instanceId);
  }

  /** Takes over every run whose owner stopped renewing its lease. */
  async takeOverExpired() {
    for (const runId of await this.leases.claimable()) {
      if (this.taking.has(runId)) continue;
      if (!(await this.leases.claim(runId))) continue;
      await this.takeOver(runId);
    }
  }

  private takeOver(runId: string): Promise<void> {
    const started = Date.now();
    const job = this.runs
      .takeOverClaimed(runId)
      .then(() => console.log(`cluster: instance ${this.instanceId} took over run ${runId} in ${Date.now() - started} ms`))
      .catch((e) => console.error(`cluster: taking over run ${runId} failed:`, e))
      .finally(() => this.taking.delete(runId));
    this.taking.set(runId, job);
    return job;
  }

  /** Stops supervising a run here, leaving its trainer to the instance that holds its lease now. */
  relinquish(runId: string, why: string) {
    this.leases.forget(runId);
    this.supervisor.release(runId);
    // Its trainer reconnects, and is sent on to the new owner.
    this.channel.revoke(runId);
    console.warn(`cluster: instance ${this.instanceId} gave up run ${runId}: ${why}; its trainer goes on under the new owner`);
  }

  /**
   * A trainer with a good token connects here. It is taken when this instance owns its run, or
   * can take the run's lease now (its owner died); otherwise it is sent on to the owner.
   */
  async admitTrainer(runId: string): Promise<void> {
    await this.taking.get(runId);
    if (this.leases.owns(runId)) return;
    if (await this.leases.claim(runId)) return this.takeOver(runId);
    const lease = await this.leases.ownerOf(runId);
    const owner = lease ? this.peers.find((p) => p.id === lease.owner) : undefined;
    throw new NotOwner(
      `Run ${runId} is supervised by instance ${lease?.owner ?? "(unknown)"}${lease?.live ? "" : ", whose lease is being taken over"}; try ${owner?.url ?? "another instance"}`,
      owner?.url ?? null,
    );
  }

  /** Whether another instance is alive to take this one's runs. */
  async peersAlive(): Promise<boolean> {
    await this.refreshPeers().catch(() => {});
    return this.peers.length > 0;
  }

  /**
   * Leaves the cluster. `handOver`: the trainers go on, and the leases are expired at once so the
   * peers take the runs at their next tick; otherwise the caller has stopped the trainers.
   */
  async close(handOver: boolean) {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    if (handOver) {
      this.supervisor.releaseAll();
      const ids = this.leases.ownedIds();
      await this.leases.releaseAll();
      if (ids.length) console.log(`cluster: instance ${this.instanceId} handed ${ids.length} runs over to its peers`);
    }
    await this.instances.leave().catch((e) => console.error("cluster: leaving the registry failed:", e));
  }
}
