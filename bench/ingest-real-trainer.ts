// bench/ingest.ts --real-trainer: one real run (the TINY config, logging every step) trains on the
// server through the burst, so the benchmark shows what the burst does to a co-located trainer:
// its tokens/s before and during, and the throughput_drop alerts the server raised for it.
import { prepareSmall, TINY, waitFor, type TestServer } from "../tests/helpers/server";

export interface RealTrainerReport {
  runId: string;
  tokensPerSecBefore: number;
  tokensPerSecDuring: number;
  /** During ÷ before, of the medians; the detector fires below 0.5 held for 5 readings. */
  share: number;
  lowestDuring: number;
  throughputDropAlerts: number;
  /** The same while it trained alone, over as long: what the machine's own noise raises. */
  throughputDropAlertsAlone: number;
  stallAlerts: number;
  /** The first alerts of the burst, as raised. */
  alerts: string[];
  /** Seconds into the burst of each reading under half the "before" median. */
  lowAt: number[];
  /** Median tokens/s of each second, from 10 s before the burst's measured window to its end. */
  perSecond: { s: number; median: number; n: number }[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** Prepares the small dataset and starts the run; resolves once it has logged a few steps. */
export async function startRealTrainer(server: TestServer): Promise<string> {
  const dataset = await prepareSmall(server);
  const run = await server.api.run.create.mutate({ ...TINY, name: "bench-real-trainer", dataset, steps: 10_000_000, evalInterval: 1_000_000 });
  await waitFor("the real trainer to log", async () => {
    const r = await server.api.run.get.query({ id: run.id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`the real trainer's run ${r.status}: ${r.error}`);
    return r.status === "running" && r.step > 60;
  }, 300_000);
  return run.id;
}

/** Its tokens/s (by wall time) before and during the burst [from, to] (seconds since the epoch), and its alerts since `from`. */
export async function realTrainerReport(server: TestServer, runId: string, before: [number, number], during: [number, number]): Promise<RealTrainerReport> {
  const history = await server.api.metric.history.query({ runId, keys: ["tokens_per_sec"], maxPoints: 10_000_000 });
  const series = (history.tokens_per_sec ?? []).filter((p) => p.value !== null) as { wallTime: number; value: number }[];
  const within = ([a, b]: [number, number]) => series.filter((p) => p.wallTime >= a && p.wallTime <= b).map((p) => p.value);
  const b = median(within(before));
  const d = within(during);
  const all = await server.api.alert.list.query({ runId, limit: 1000 });
  const at = (a: { createdAt: string | Date }) => new Date(a.createdAt).getTime() / 1000;
  const alerts = all.filter((a) => at(a) >= during[0]);
  const alone = all.filter((a) => at(a) >= before[0] && at(a) <= before[1] && a.type === "throughput_drop").length;
  await server.api.run.stop.mutate({ id: runId }).catch(() => {});
  return {
    runId, tokensPerSecBefore: b, tokensPerSecDuring: median(d), share: median(d) / b, lowestDuring: Math.min(...d),
    throughputDropAlerts: alerts.filter((a) => a.type === "throughput_drop").length, throughputDropAlertsAlone: alone, stallAlerts: alerts.filter((a) => a.type === "stall").length,
    alerts: alerts.slice(0, 5).map((a) => `${a.type} at step ${a.step}: ${a.message}`),
    perSecond: Array.from({ length: Math.ceil(during[1] - during[0]) + 10 }, (_, i) => {
      const from = during[0] - 10 + i;
      const xs = series.filter((p) => p.wallTime >= from && p.wallTime < from + 1).map((p) => p.value);
      return { s: i - 10, median: Math.round(median(xs)), n: xs.length };
    }),
    lowAt: series.filter((p) => p.wallTime >= during[0] && p.wallTime <= during[1] && p.value < b / 2).map((p) => Math.round((p.wallTime - during[0]) * 10) / 10),
  };
}
