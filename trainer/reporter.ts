import { io, type Socket } from "socket.io-client";
import { memoryLimitBytes } from "./memory-limit";
import type { EvalPredictions } from "../lib/eval/contracts";
import { z } from "zod";
import {
  EV, RecordedCheckpoint, type CheckpointCorrupt, type CheckpointSaved, type Heartbeat, type MetricPoint, type RecoveryEvent, type TrainerDone, type TrainerHello,
} from "../lib/protocol";
import type { CheckpointVerification } from "./train";

type Payload = TrainerHello | CheckpointSaved | TrainerDone | EvalPredictions | RecoveryEvent | CheckpointCorrupt | Record<string, never>;
type Reply = { ok: boolean; error?: string; seq?: number; [k: string]: unknown };

const FLUSH_MS = 100;
/** Well under the smallest stall threshold a run may set, so a live trainer is never taken for a stalled one. */
const HEARTBEAT_MS = 1000;
const ACK_TIMEOUT_MS = 10_000;
/** A trainer that cannot reach its server this long stops (with a checkpoint) rather than train unseen. */
const ORPHAN_AFTER_MS = 60_000;

/**
 * The trainer's side of the /trainer protocol. Metric points go out in numbered batches; a batch
 * stays in `unacked` until the server says it is durable, and every unacked batch is re-sent after
 * a reconnect. The server's writes are idempotent, so a re-send can never double a point.
 */
export class Reporter {
  private socket: Socket;
  private seq = 0;
  private buffer: MetricPoint[] = [];
  private unacked = new Map<number, MetricPoint[]>();
  private timer: NodeJS.Timeout | null = null;
  private orphanTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout;
  stopRequested = false;
  lastStep = 0;
  phase: Heartbeat["phase"] = "setup";
  private readonly memoryLimit = memoryLimitBytes();

  constructor(url: string, runId: string, token: string) {
    this.socket = io(`${url}/trainer`, { auth: { runId, token }, reconnectionDelayMax: 2000 });
    this.socket.on(EV.runStop, () => (this.stopRequested = true));
    this.socket.on("connect", () => {
      if (this.orphanTimer) clearTimeout(this.orphanTimer);
      this.orphanTimer = null;
      for (const seq of [...this.unacked.keys()].sort((a, b) => a - b)) this.send(seq);
    });
    this.socket.on("disconnect", (reason) => {
      if (reason === "io client disconnect") return; // we closed it ourselves
      this.orphanTimer ??= setTimeout(() => {
        console.error(`Lost the server for ${ORPHAN_AFTER_MS / 1000}s; stopping with a checkpoint.`);
        this.stopRequested = true;
      }, ORPHAN_AFTER_MS);
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
    this.socket.emit(EV.trainerHeartbeat, beat);
  }

  push(points: MetricPoint[]) {
    for (const p of points) this.buffer.push(p);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Sends what is buffered now, so an event sent next arrives after these points. */
  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    const seq = this.seq++;
    this.unacked.set(seq, this.buffer);
    this.buffer = [];
    this.send(seq);
  }

  private send(seq: number) {
    const points = this.unacked.get(seq);
    if (!points || !this.socket.connected) return;
    this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck(EV.metricBatch, { seq, points: points.map(jsonSafe) })
      .then((reply: Reply) => {
        if (reply.ok) this.unacked.delete(seq);
        else console.error(`Server rejected metric batch ${seq}: ${reply.error}`);
      })
      .catch(() => {}); // no ack in time: it stays unacked and goes again on reconnect
  }

  /** Sends a message that must arrive, retrying across reconnects until the server acks it. */
  async request(event: string, payload: Payload, timeoutMs = 60_000): Promise<void> {
    await this.call(event, payload, timeoutMs);
  }

  private async call(event: string, payload: Payload, timeoutMs = 60_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const reply: Reply = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
        if (!reply.ok) throw new Error(`Server rejected ${event}: ${reply.error}`);
        return reply;
      } catch (e) {
        if ((e as Error).message.startsWith("Server rejected") || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** The server's records of the run's checkpoints, to verify a file against before loading it, and where a damaged one is reported. */
  async checkpoints(): Promise<CheckpointVerification> {
    const reply = await this.call(EV.checkpointList, {});
    const recorded = z.array(RecordedCheckpoint).parse(reply.checkpoints);
    return { recorded, corrupt: async (c) => void (await this.request(EV.checkpointCorrupt, c)) };
  }

  /** Progress text for the run page; best effort, never retried. */
  log(message: string) {
    if (this.socket.connected) this.socket.emit(EV.trainerLog, { message: message.slice(0, 2000) });
  }

  /** Flushes and waits until every metric batch is acked (or the time runs out). */
  async drain(timeoutMs = 30_000) {
    this.flush();
    const deadline = Date.now() + timeoutMs;
    let resendAt = Date.now() + ACK_TIMEOUT_MS;
    while (this.unacked.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (Date.now() < resendAt) continue;
      resendAt = Date.now() + ACK_TIMEOUT_MS;
      for (const seq of this.unacked.keys()) this.send(seq);
    }
    if (this.unacked.size > 0) throw new Error(`${this.unacked.size} metric batches were never acknowledged`);
  }

  close() {
    clearInterval(this.heartbeat);
    if (this.orphanTimer) clearTimeout(this.orphanTimer);
    this.socket.close();
  }
}

function jsonSafe(p: MetricPoint): MetricPoint {
  return Number.isFinite(p.value) ? p : { ...p, value: null };
}
