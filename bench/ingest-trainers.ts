// Child process of bench/ingest.ts: N simulated trainers on the /trainer namespace, speaking as
// trainer/report/reporter.ts does (hello, numbered metric batches, a bounded number in flight, a batch
// re-sent under the same number when its ack does not come in time, heartbeats every second).
// Kept out of the parent so its JSON encoding and socket work cannot delay the API probes there.
// It connects and says hello, reports "ready", and starts sending at the parent's "go".
import { createHistogram } from "node:perf_hooks";
import { io, type Socket } from "socket.io-client";
import { EV, type MetricPoint } from "../lib/protocol";

export interface TrainerPlan {
  url: string;
  runs: { runId: string; token: string }[];
  /** Points per batch, and keys logged at every step. */
  batch: number;
  keys: number;
  inFlight: number;
  warmupS: number;
  seconds: number;
}

export type TrainerReport =
  | { type: "ready" }
  | { type: "window-start" }
  | { type: "window-end"; ackedPoints: number; ackedBatches: number; ackMs: { p50: number; p99: number; max: number }; timeouts: number; refused: number; errors: string[] }
  | { type: "done"; totalAcked: number; unacked: number };

const ACK_TIMEOUT_MS = 10_000;
const KEYS = ["loss", "lr", "grad_norm", "tokens_per_sec", "model_gflops", "batch_size", "data/share/web", "data/share/books", "data/epochs/web", "data/epochs/books"];

/** A smooth, alert-free series per key, as a healthy run logs it. */
function valueOf(key: string, step: number, noise: number): number {
  switch (key) {
    case "loss": return 2 + 6 * Math.exp(-step / 50_000) + 0.01 * noise;
    case "lr": return 3e-4 * Math.min(1, step / 1000);
    case "grad_norm": return 1 + 0.02 * noise;
    case "tokens_per_sec": return 50_000 * (1 + 0.005 * noise);
    case "model_gflops": return 12 * (1 + 0.005 * noise);
    case "batch_size": return 8;
    default: return step / 1e6;
  }
}

class SimTrainer {
  private socket: Socket;
  private seq = 0;
  private step = 0;
  private inFlight = 0;
  private stopped = false;
  private closing: (() => void) | null = null;

  constructor(private plan: TrainerPlan, private run: { runId: string; token: string }, private onAck: (points: number, ms: number) => void, private onProblem: (kind: "timeout" | "refused", error: string) => void) {
    this.socket = io(`${plan.url}/trainer`, { auth: run, reconnectionDelayMax: 5000 });
    this.socket.on(EV.runStop, () => {}); // the bench's runs have no supervised trainer; the server says so and we go on
  }

  async hello() {
    await new Promise<void>((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("connect_error", reject);
    });
    const reply = await this.socket.timeout(60_000).emitWithAck(EV.trainerHello, { backend: "bench", paramCount: 1_000_000, startStep: 0 });
    if (!reply.ok) throw new Error(`hello refused for ${this.run.runId}: ${reply.error}`);
    setInterval(() => this.socket.volatile.emit(EV.trainerHeartbeat, { step: this.step, phase: "train" }), 1000).unref();
  }

  start() {
    for (let i = 0; i < this.plan.inFlight; i++) this.sendNext();
  }

  /** Stops sending new batches; resolves when every batch sent has its ack. */
  drain(): Promise<void> {
    this.stopped = true;
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => (this.closing = resolve));
  }

  close() {
    this.socket.close();
  }

  get unacked() {
    return this.inFlight;
  }

  private sendNext() {
    if (this.stopped) return;
    const steps = Math.max(1, Math.ceil(this.plan.batch / this.plan.keys));
    const points: MetricPoint[] = [];
    const wallTime = Date.now() / 1000;
    for (let s = 0; s < steps && points.length < this.plan.batch; s++, this.step++)
      for (let k = 0; k < this.plan.keys && points.length < this.plan.batch; k++) {
        const key = KEYS[k % KEYS.length];
        points.push({ step: this.step, key, value: valueOf(key, this.step, Math.sin(this.step * 12.9898 + k) * 2), wallTime });
      }
    this.inFlight++;
    this.send(this.seq++, points);
  }

  private send(seq: number, points: MetricPoint[]) {
    const sent = performance.now();
    this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(EV.metricBatch, { seq, points }).then(
      (reply: { ok: boolean; error?: string }) => {
        if (!reply.ok) {
          this.onProblem("refused", reply.error ?? "no error text");
          return void setTimeout(() => this.send(seq, points), 1000);
        }
        this.onAck(points.length, performance.now() - sent);
        this.inFlight--;
        if (this.stopped && this.inFlight === 0) this.closing?.();
        this.sendNext();
      },
      () => {
        this.onProblem("timeout", `no ack for batch ${seq} in ${ACK_TIMEOUT_MS / 1000} s`);
        this.send(seq, points);
      },
    );
  }
}

async function main(plan: TrainerPlan) {
  const send = (r: TrainerReport) => process.send!(r);
  let counting = false;
  let ackedPoints = 0;
  let ackedBatches = 0;
  let totalAcked = 0;
  let timeouts = 0;
  let refused = 0;
  const errors = new Set<string>();
  const ackUs = createHistogram();
  const trainers = plan.runs.map((run) => new SimTrainer(plan, run, (points, ms) => {
    totalAcked += points;
    if (!counting) return;
    ackedPoints += points;
    ackedBatches++;
    ackUs.record(Math.max(1, Math.round(ms * 1000)));
  }, (kind, error) => {
    if (kind === "timeout") timeouts++;
    else refused++;
    if (errors.size < 5) errors.add(error);
  }));
  await Promise.all(trainers.map((t) => t.hello()));
  send({ type: "ready" });
  await new Promise((resolve) => process.once("message", resolve));
  for (const t of trainers) t.start();
  await new Promise((r) => setTimeout(r, plan.warmupS * 1000));
  counting = true;
  send({ type: "window-start" });
  await new Promise((r) => setTimeout(r, plan.seconds * 1000));
  counting = false;
  const ms = (us: number) => Math.round(us) / 1000;
  send({
    type: "window-end", ackedPoints, ackedBatches, timeouts, refused, errors: [...errors],
    ackMs: { p50: ms(ackUs.percentile(50)), p99: ms(ackUs.percentile(99)), max: ms(ackUs.max) },
  });
  await Promise.race([Promise.all(trainers.map((t) => t.drain())), new Promise((r) => setTimeout(r, 30_000))]);
  send({ type: "done", totalAcked, unacked: trainers.reduce((n, t) => n + t.unacked, 0) });
  for (const t of trainers) t.close();
  process.disconnect();
}

process.once("message", (plan: TrainerPlan) => {
  main(plan).catch((e) => {
    console.error(e);
    process.exit(1);
  });
});
