// Child process of bench/mlflow-ingest.ts: N MLflow clients, each posting runs/log-batch of
// `batch` metrics (the client's limit is 1,000) to its own run, `inFlight` requests at a time, as
// the Python client's async logging does. Speaks the same messages as bench/ingest-trainers.ts:
// "ready", then at "go" a warm-up, "window-start", "window-end" with the counts, and "done".
import { createHistogram } from "node:perf_hooks";
import type { TrainerPlan, TrainerReport } from "./ingest-trainers";

const KEYS = ["train/loss", "learning_rate", "grad_norm", "throughput(tps)", "mfu(%)", "train/epoch", "memory/max_reserved_gib", "loss_scale", "data/tokens_seen", "train/perplexity"];

async function main(plan: TrainerPlan & { runIds: string[]; headers: Record<string, string> }) {
  const send = (m: TrainerReport) => process.send!(m);
  const ackUs = createHistogram();
  let counting = false;
  let stopped = false;
  let ackedPoints = 0;
  let ackedBatches = 0;
  let totalAcked = 0;
  let refused = 0;
  const errors = new Set<string>();
  const post = async (body: string) => {
    const t = performance.now();
    const res = await fetch(`${plan.url}/api/2.0/mlflow/runs/log-batch`, { method: "POST", headers: { "content-type": "application/json", ...plan.headers }, body });
    const text = await res.text();
    if (res.status !== 200) {
      refused++;
      errors.add(`${res.status} ${text.slice(0, 200)}`);
      return false;
    }
    if (counting) ackUs.record(Math.max(1, Math.round((performance.now() - t) * 1000)));
    return true;
  };
  const client = async (runId: string) => {
    let step = 0;
    const lane = async () => {
      while (!stopped) {
        const metrics = [];
        const now = Date.now();
        while (metrics.length < plan.batch) {
          const s = step++;
          for (let k = 0; k < plan.keys && metrics.length < plan.batch; k++)
            metrics.push({ key: KEYS[k], value: 2 + 6 * Math.exp(-s / 50_000) + 0.001 * Math.sin(s + k), timestamp: now, step: s });
        }
        const wasCounting = counting;
        if (await post(JSON.stringify({ run_id: runId, metrics })).catch((e: Error) => (errors.add(e.message), false))) {
          totalAcked += metrics.length;
          if (wasCounting && counting) (ackedPoints += metrics.length), ackedBatches++;
        }
      }
    };
    await Promise.all(Array.from({ length: plan.inFlight }, lane));
  };
  send({ type: "ready" });
  await new Promise((resolve) => process.once("message", resolve));
  const running = Promise.all(plan.runIds.map(client));
  await new Promise((r) => setTimeout(r, plan.warmupS * 1000));
  counting = true;
  send({ type: "window-start" });
  await new Promise((r) => setTimeout(r, plan.seconds * 1000));
  counting = false;
  const ms = (us: number) => Math.round(us) / 1000;
  send({ type: "window-end", ackedPoints, ackedBatches, timeouts: 0, refused, errors: [...errors], ackMs: { p50: ms(ackUs.percentile(50)), p99: ms(ackUs.percentile(99)), max: ms(ackUs.max) } });
  stopped = true;
  await running;
  send({ type: "done", totalAcked, unacked: 0 });
  process.disconnect();
}

process.once("message", (plan: Parameters<typeof main>[0]) => {
  main(plan).catch((e) => {
    console.error(e);
    process.exit(1);
  });
});
