import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { memoryLimitBytes } from "./memory-limit";
import { JOURNAL_FILE, MetricJournal } from "./journal";
import type { EvalPredictions } from "../lib/eval/contracts";
import { z } from "zod";
import {
  EV, RecordedCheckpoint, type CheckpointCorrupt, type CheckpointSaved, type Heartbeat, type MetricPoint, type RecoveryEvent, type TrainerDone, type TrainerHello,
} from "../lib/protocol";
import type { CheckpointVerification } from "./train";
import { wellFormed } from "../lib/text-guard";

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

/**
 * The trainer's side of the /trainer protocol. Metric points go out in numbered batches. Each batch
 * is written to the run's journal before it is sent and stays there until the server says it is
 * durable, so neither a dead server nor a killed trainer loses one: unacked batches go again after
 * a reconnect, and those of a killed trainer go first when the run's next trainer starts. The
 * server's writes are idempotent on (run, key, step), so a re-send never doubles a point.
 * Training never waits for the server: without it, batches pile up (bounded in memory, whole on
 * disk) while socket.io reconnects with backoff.
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

  /** `memoryPoints`: the bound on unacked points held in memory (MEMORY_POINTS; smaller in tests). */
  constructor(url: string, runId: string, token: string, runDir: string, private memoryPoints = MEMORY_POINTS) {
    const { journal, left } = MetricJournal.open(path.join(runDir, JOURNAL_FILE));
    this.journal = journal;
    for (const points of left) this.keep(this.seq++, points);
    this.replayed = left.length;
    if (left.length > 0) console.log(`replaying ${left.length} metric batches a previous trainer left unacknowledged`);
    this.socket = io(`${url}/trainer`, { auth: { runId, token }, reconnectionDelayMax: 5000 });
    this.socket.on(EV.runStop, () => (this.stopRequested = true));
    this.socket.on("connect", () => {
      if (this.lostAt !== null) console.log(`reconnected to the server after ${((Date.now() - this.lostAt) / 1000).toFixed(0)} s; replaying ${this.unacked.size} metric batches`);
      this.lostAt = null;
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
    this.socket.on("disconnect", (reason) => {
      if (reason === "io client disconnect") return; // we closed it ourselves
      this.lostAt ??= Date.now();
      console.error(`lost the server (${reason}); training on and keeping metrics until it is back`);
    });
    this.socket.on("connect_error", (e) => {
      // socket.io gives up only on a refusal by the server's auth (a revoked token): stop, the run is not ours.
      if (this.socket.active || this.refusedBy) return;
      this.refusedBy = e.message;
      console.error(`the server refused this trainer (${e.message}); stopping with a checkpoint`);
      this.stopRequested = true;
    });
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
  }

  /** Resolves on the first connection; rejects with the server's reason if it refuses us. */
  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        // socket.io marks errors raised by the server's auth middleware as not retryable.
        if (!this.socket.active) reject(new Error(`Server refused the trainer: ${e.message}`));
      };
      this.socket.once("connect", () => { this.socket.off("connect_error", fail); resolve(); });
      this.socket.on("connect_error", fail);
    });
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

  get online() {
    return this.socket.connected;
  }

  close() {
    this.closed = true;
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
