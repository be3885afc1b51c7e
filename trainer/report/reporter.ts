import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { z } from "zod";
import { memoryLimitBytes } from "../../host/memory-limit";
import type { EvalPredictions } from "../../lib/eval/contracts";
import {
  EV, RecordedCheckpoint, TrainerRedirect, type CheckpointCorrupt, type CheckpointSaved, type Heartbeat, type MetricPoint, type RecoveryEvent, type TrainerDone, type TrainerHello,
} from "../../lib/protocol";
import { wellFormed } from "../../lib/text-guard";
import type { CheckpointVerification } from "../loop/train";
import { JOURNAL_FILE, MetricJournal } from "./journal";

type Payload = TrainerHello | CheckpointSaved | TrainerDone | EvalPredictions | RecoveryEvent | CheckpointCorrupt | Record<string, never>;
type Reply = { ok: boolean; error?: string; seq?: number; [k: string]: unknown };

const FLUSH_MS = 100;
/** Well under the smallest stall threshold a run may set, so a live trainer is never taken for a stalled one. */
const HEARTBEAT_MS = 1000;
const ACK_TIMEOUT_MS = 10_000;
/** Batches sent and not yet acked at once; the rest wait, so a long outage is replayed in order without a flood. */
const IN_FLIGHT = 32;
/** Points held in memory while unacked; past that a batch lives only in the journal until it is sent. */
const MEMORY_POINTS = 200_000;
/** Spilled batches read back from the journal at a time. */
const READ_WINDOW = 256;
/** A batch the server refused (say, its database was busy) goes again after this. */
const RETRY_MS = 2000;
/** Pause before trying the next server address, doubled after each round of them all that failed, up to the cap. */
const FAILOVER_MS = 250;
const FAILOVER_MAX_MS = 2000;


/**
 * The trainer's side of the /trainer protocol. Metric points go out in numbered batches. Each batch
 * is written to the run's journal before it is sent and stays there until the server says it is
 * durable, so neither a dead server nor a killed trainer loses one: unacked batches go again after
 * a reconnect, and those of a killed trainer go first when the run's next trainer starts. The
 * server's writes are idempotent on (run, key, step), so a re-send never doubles a point.
 * Training never waits for the server: without it, batches pile up (bounded in memory, whole on
 * disk) while socket.io reconnects with backoff.
 *
 * Given several server addresses (instances sharing one database), a lost or refused connection
 * moves on to the next one, and to the run's owner when a server names it; the unacked batches
 * then go to whichever server took the trainer, which writes them idempotently like any re-send.
 */
export class Reporter {
  private socket: Socket;
  private seq = 0;
  private buffer: MetricPoint[] = [];
  /** Unacked batches by number; null when only the journal holds its points. */
  private unacked = new Map<number, MetricPoint[] | null>();
  private inMemory = 0;
  private inFlight = new Set<number>();
  private refused = new Set<number>();
  /** Spilled batches read back from the journal for sending. */
  private spilled = new Map<number, MetricPoint[]>();
  private journal: MetricJournal;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout;
  private helloPayload: TrainerHello | null = null;
  /** A hello after a reconnect is under way. */
  private greeting = false;
  private closed = false;
  /** Batches 0..replayed-1 came from the journal: a previous launch's, sent before our own. */
  private replayed = 0;
  private lostAt: number | null = null;
  /** Deliveries that must arrive (checkpoints, predictions), retried until acked. */
  private deliveries = new Set<Promise<void>>();
  stopRequested = false;
  /** Why the server refused us for good, if it did. */
  refusedBy: string | null = null;
  lastStep = 0;
  phase: Heartbeat["phase"] = "setup";
  private readonly memoryLimit = memoryLimitBytes();
  private urls: string[];
  private urlIndex = 0;
  /** Addresses tried since the last connection; a full round of them backs off. */
  private failedInRound = 0;
  private rounds = 0;
  private failoverTimer: NodeJS.Timeout | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  /**
   * `urls`: one server address, or several (a list or comma-separated) tried in turn.
   * `memoryPoints`: the bound on unacked points held in memory (MEMORY_POINTS; smaller in tests).
   */
  constructor(urls: string | string[], private runId: string, private token: string, runDir: string, private memoryPoints = MEMORY_POINTS) {
    this.urls = (Array.isArray(urls) ? urls : urls.split(",")).map((u) => u.trim().replace(/\/+$/, "")).filter(Boolean);
    if (this.urls.length === 0) throw new Error("the reporter needs a server address");
    const { journal, left } = MetricJournal.open(path.join(runDir, JOURNAL_FILE));
    this.journal = journal;
    for (const points of left) this.keep(this.seq++, points);
    this.replayed = left.length;
    if (left.length > 0) console.log(`replaying ${left.length} metric batches a previous trainer left unacknowledged`);
    this.socket = this.open(0);
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
  }

  /** A socket to one server address; with several, socket.io's own reconnection is off and failover() picks the next. */
  private open(index: number): Socket {
    this.urlIndex = index;
    const socket = io(`${this.urls[index]}/trainer`, {
      auth: { runId: this.runId, token: this.token }, reconnectionDelayMax: 5000, reconnection: this.urls.length === 1, forceNew: true,
    });
    socket.on(EV.runStop, () => (this.stopRequested = true));
    socket.on("connect", () => {
      if (this.lostAt !== null) console.log(`reconnected to the server${this.urls.length > 1 ? ` at ${this.urls[index]}` : ""} after ${((Date.now() - this.lostAt) / 1000).toFixed(0)} s; replaying ${this.unacked.size} metric batches`);
      this.lostAt = null;
      this.failedInRound = 0;
      this.rounds = 0;
      for (const w of this.waiters.splice(0)) w.resolve();
      // Acks of the old connection will never come.
      this.inFlight.clear();
      // A server that restarted learns again who we are, and takes us on.
      if (this.helloPayload && !this.greeting) {
        this.greeting = true;
        this.deliver(EV.trainerHello, this.helloPayload)
          .catch((e: Error) => console.error(e.message))
          .finally(() => (this.greeting = false));
      }
      this.pump();
    });
    socket.on("disconnect", (reason) => {
      if (reason === "io client disconnect") return; // we closed it ourselves
      this.lostAt ??= Date.now();
      console.error(`lost the server${this.urls.length > 1 ? ` at ${this.urls[index]}` : ""} (${reason}); training on and keeping metrics until it is back`);
      // socket.io does not come back by itself after the server closed the socket (an instance gave
      // the run up); a revoked token is refused at the next handshake, which stops us.
      if (this.urls.length > 1 || reason === "io server disconnect") this.failover(socket, null);
    });
    socket.on("connect_error", (e: Error & { data?: unknown }) => {
      const redirect = TrainerRedirect.safeParse(e.data);
      if (redirect.success) {
        // A server that does not own the run (or could not take it yet): the owner, or the next address.
        if (this.lostAt === null || this.failedInRound === 0) console.error(`server ${this.urls[index]} sent the trainer on: ${e.message}`);
        return this.failover(socket, redirect.data.owner);
      }
      if (socket.active) {
        // Unreachable: socket.io retries a single address itself; with several, the next one.
        if (this.urls.length > 1) this.failover(socket, null);
        return;
      }
      // Refused by the server's auth (a revoked token): stop, the run is not ours.
      if (this.refusedBy) return;
      this.refusedBy = e.message;
      console.error(`the server refused this trainer (${e.message}); stopping with a checkpoint`);
      this.stopRequested = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`Server refused the trainer: ${e.message}`));
    });
    return socket;
  }

  /** Leaves `from` for another address after a short pause: the owner a server named, else the next in the list. */
  private failover(from: Socket, owner: string | null) {
    if (this.closed || this.failoverTimer || from !== this.socket) return;
    if (owner && !this.urls.includes(owner)) this.urls.push(owner);
    const next = owner ? this.urls.indexOf(owner) : (this.urlIndex + 1) % this.urls.length;
    if (++this.failedInRound >= this.urls.length) {
      this.failedInRound = 0;
      this.rounds++;
    }
    const delay = Math.min(FAILOVER_MAX_MS, FAILOVER_MS * 2 ** this.rounds);
    this.failoverTimer = setTimeout(() => {
      this.failoverTimer = null;
      if (this.closed) return;
      from.removeAllListeners();
      from.close();
      // Acks of the old connection will never come.
      this.inFlight.clear();
      this.socket = this.open(next);
    }, delay);
  }

  /** Resolves on the first connection; rejects with the server's reason if it refuses us. */
  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    if (this.refusedBy) return Promise.reject(new Error(`Server refused the trainer: ${this.refusedBy}`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private beat() {
    const beat: Heartbeat = { step: this.lastStep, phase: this.phase, rssBytes: process.memoryUsage.rss(), memoryLimitBytes: this.memoryLimit };
    this.socket.volatile.emit(EV.trainerHeartbeat, beat);
  }

  push(points: MetricPoint[]) {
    for (const p of points) this.buffer.push(p);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Journals and sends what is buffered now, so an event sent next arrives after these points. */
  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    const seq = this.seq++;
    this.journal.append(seq, this.buffer);
    this.keep(seq, this.buffer);
    this.buffer = [];
    this.pump();
  }

  /**
   * Called before a checkpoint is renamed into place: every metric of the steps it covers is then
   * in the journal on disk, so resuming from that checkpoint can never skip an unacked one.
   */
  persist() {
    this.flush();
    this.journal.sync();
  }

  private keep(seq: number, points: MetricPoint[]) {
    const held = this.inMemory + points.length <= this.memoryPoints;
    this.unacked.set(seq, held ? points : null);
    if (held) this.inMemory += points.length;
  }

  /** Sends the oldest unacked batches, up to IN_FLIGHT at a time. */
  private pump() {
    if (!this.socket.connected) return;
    for (const [seq, held] of this.unacked) {
      if (this.inFlight.size >= IN_FLIGHT) break;
      if (this.inFlight.has(seq)) continue;
      this.send(seq, held ?? this.fromJournal(seq));
    }
  }

  /** A spilled batch, read back with the next few spilled after it, so a replay reads the file once per window. */
  private fromJournal(seq: number): MetricPoint[] {
    let points = this.spilled.get(seq);
    if (!points) {
      const window = new Set([...this.unacked].filter(([s, held]) => s >= seq && held === null).slice(0, READ_WINDOW).map(([s]) => s));
      this.spilled = this.journal.read((id) => window.has(id));
      points = this.spilled.get(seq);
    }
    if (!points) throw new Error(`metric batch ${seq} is neither in memory nor in the journal`);
    return points;
  }

  private send(seq: number, points: MetricPoint[]) {
    this.inFlight.add(seq);
    this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck(EV.metricBatch, { seq, points: points.map(jsonSafe), ...(seq < this.replayed ? { replay: true } : {}) })
      .then(
        (reply: Reply) => {
          if (reply.ok) return this.acked(seq);
          console.error(`server refused metric batch ${seq} (${reply.error}); it goes again in ${RETRY_MS / 1000} s`);
          this.refused.add(seq);
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = null;
            for (const s of this.refused) this.inFlight.delete(s);
            this.refused.clear();
            this.pump();
          }, RETRY_MS);
        },
        () => {
          // No ack in time: sent again now if still connected, else after the reconnect.
          this.inFlight.delete(seq);
          this.pump();
        },
      );
  }

  private acked(seq: number) {
    if (!this.unacked.has(seq)) return; // a re-send's second ack
    const held = this.unacked.get(seq);
    if (held) this.inMemory -= held.length;
    this.unacked.delete(seq);
    this.spilled.delete(seq);
    this.journal.ack(seq);
    this.inFlight.delete(seq);
    this.pump();
  }

  /** Says hello, and again after every reconnect (a restarted server adopts us on it). */
  async hello(info: TrainerHello) {
    this.helloPayload = info;
    await this.deliver(EV.trainerHello, info, 120_000);
  }

  /**
   * Sends a message that must arrive, retrying across reconnects until the server acks it or
   * `timeoutMs` passes (by default until the reporter closes). It never holds up training unless awaited.
   */
  deliver(event: string, payload: Payload, timeoutMs = Infinity): Promise<void> {
    const sent: Promise<void> = this.retrying(event, payload, timeoutMs).then(() => {}).finally(() => this.deliveries.delete(sent));
    this.deliveries.add(sent);
    return sent;
  }

  private async retrying(event: string, payload: Payload, timeoutMs: number): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) throw new Error(`${event} was not delivered: the trainer is closing`);
      if (this.refusedBy) throw new Error(`${event} was not delivered: the server refused the trainer (${this.refusedBy})`);
      if (this.socket.connected) {
        try {
          const reply: Reply = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
          if (!reply.ok) throw new Error(`Server rejected ${event}: ${reply.error}`);
          return reply;
        } catch (e) {
          if ((e as Error).message.startsWith("Server rejected")) throw e;
        }
      }
      if (Date.now() > deadline) throw new Error(`${event} was not acknowledged in ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** The server's records of the run's checkpoints, to verify a file against before loading it, and where a damaged one is reported. */
  async checkpoints(): Promise<CheckpointVerification> {
    const reply = await this.retrying(EV.checkpointList, {}, 120_000);
    const recorded = z.array(RecordedCheckpoint).parse(reply.checkpoints);
    return { recorded, corrupt: (c) => this.deliver(EV.checkpointCorrupt, c, 60_000) };
  }

  /** Progress text for the run page; best effort, dropped while the server is away. */
  log(message: string) {
    this.socket.volatile.emit(EV.trainerLog, { message: wellFormed(message, 2000) });
  }

  /**
   * Flushes and waits until every metric batch and delivery is acked. Throws when the time runs
   * out; what is unacked then stays in the journal for the run's next trainer.
   */
  async drain(timeoutMs: number) {
    this.flush();
    const deadline = this.refusedBy ? 0 : Date.now() + timeoutMs;
    while ((this.unacked.size > 0 || this.deliveries.size > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (this.unacked.size > 0) throw new Error(`${this.unacked.size} metric batches were not acknowledged in ${timeoutMs / 1000} s; they stay in ${JOURNAL_FILE} for the next start`);
  }

  /**
   * Flushes, then waits until every metric batch sent so far is acked. A checkpoint uploaded from
   * a remote worker is reported only after this, since a lost machine takes its journal with it.
   */
  async ackedSoFar(timeoutMs: number) {
    this.flush();
    const through = this.seq - 1;
    const deadline = Date.now() + timeoutMs;
    const pending = () => [...this.unacked.keys()].some((s) => s <= through);
    while (pending() && Date.now() < deadline && !this.closed) await new Promise((r) => setTimeout(r, 50));
    if (pending()) throw new Error(`metric batches up to ${through} were not acknowledged in ${timeoutMs / 1000} s`);
  }

  get online() {
    return this.socket.connected;
  }

  close() {
    this.closed = true;
    if (this.failoverTimer) clearTimeout(this.failoverTimer);
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket.close();
    this.journal.close();
  }
}

function jsonSafe(p: MetricPoint): MetricPoint {
  return Number.isFinite(p.value) ? p : { ...p, value: null };
}
