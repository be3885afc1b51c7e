// Queued → first step for bench:workers (bench/remote-workers.ts): a run on a warm remote worker
// against the same run on the server's own trainer, timed from run.create to the first metric
// point past step 0 reaching a browser socket subscribed to the run's room.
import type { Socket } from "socket.io-client";
import type { createTRPCClient } from "@trpc/client";
import { EV, roomOf, type MetricPoint } from "../lib/protocol";
import type { AppRouter } from "../server/trpc/router";
import { SMALL_SPEC, TINY } from "../tests/helpers/server";

export type KeyedApi = ReturnType<typeof createTRPCClient<AppRouter>>;

/** Seconds after run.create of each moment a launch passes (null: that path has no such moment). */
export interface StartTiming {
  runId: string;
  claimed: number | null;
  fetchedS: number | null;
  spawned: number | null;
  running: number;
  firstStep: number;
}

const ENDED = ["completed", "failed", "crashed", "stopped"];

/** Prepares SMALL_SPEC with the keyed client (prepareSmall's, for a server with sign-in on); returns its id and seconds. */
export async function prepareDataset(api: KeyedApi) {
  const t = performance.now();
  const d = await api.dataset.prepare.mutate(SMALL_SPEC);
  for (;;) {
    const now = await api.dataset.get.query({ id: d.id });
    if (now.status === "failed") throw new Error(`dataset failed: ${now.error}`);
    if (now.status === "ready") return { id: d.id, seconds: (performance.now() - t) / 1000 };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until a worker of that name is registered and idle; returns its id. */
export async function workerIdle(api: KeyedApi, name: string, output: () => string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const w = (await api.worker.list.query()).find((x) => x.name === name && x.state === "idle");
    if (w) return w.id;
    if (Date.now() > deadline) throw new Error(`worker ${name} did not register:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Creates the run, times it to its first step, then waits for it to end (a worker takes one run at
 * a time, so the next measurement starts on an idle one).
 */
export async function timeToFirstStep(o: { api: KeyedApi; socket: Socket; dataset: string; steps: number; queue: string | null; name: string; workerOutput?: () => string }): Promise<StartTiming> {
  let runId = "";
  let running: number | null = null;
  let first: number | null = null;
  let wake = () => {};
  const t0 = performance.now();
  const since = () => (performance.now() - t0) / 1000;
  const onMetrics = (m: { runId: string; points: MetricPoint[] }) => {
    if (m.runId === runId && first === null && m.points.some((p) => p.step > 0)) (first = since()), wake();
  };
  const onStatus = (r: { id: string; status: string }) => {
    if (r.id === runId && r.status === "running" && running === null) running = since();
    if (r.id === runId && ENDED.includes(r.status)) wake();
  };
  o.socket.on(EV.metricBatch, onMetrics);
  o.socket.on(EV.runStatus, onStatus);
  const createdAt = Date.now();
  try {
    const run = await o.api.run.create.mutate({ ...TINY, name: o.name, dataset: o.dataset, steps: o.steps, evals: [], queue: o.queue });
    runId = run.id;
    o.socket.emit(EV.runSubscribe, run.id);
    const deadline = Date.now() + 180_000;
    while (first === null) {
      // The socket is the clock; polling only catches an end that came first, or a lost push.
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 500);
      });
      const now = await o.api.run.get.query({ id: run.id });
      if (first === null && ENDED.includes(now.status)) throw new Error(`run ${o.name} ended ${now.status} before its first step: ${now.error ?? ""}${o.workerOutput ? `\nworker:\n${o.workerOutput().slice(-3000)}` : ""}`);
      if (Date.now() > deadline) throw new Error(`run ${o.name} had no first step in 180 s (status ${now.status})${o.workerOutput ? `\nworker:\n${o.workerOutput().slice(-3000)}` : ""}`);
    }
    const end = await waitEnd(o.api, run.id);
    if (end.status !== "completed") throw new Error(`run ${o.name} ended ${end.status}: ${end.error ?? ""}`);
    o.socket.emit(EV.runUnsubscribe, run.id);
    const log = o.workerOutput ? workerMoments(o.workerOutput(), run.id, createdAt) : null;
    return { runId: run.id, claimed: log?.claimed ?? null, fetchedS: log?.fetchedS ?? null, spawned: log?.spawned ?? null, running: running ?? Number.NaN, firstStep: first };
  } finally {
    o.socket.off(EV.metricBatch, onMetrics);
    o.socket.off(EV.runStatus, onStatus);
  }
}

async function waitEnd(api: KeyedApi, id: string) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const r = await api.run.get.query({ id });
    if (ENDED.includes(r.status)) return r;
    if (Date.now() > deadline) throw new Error(`run ${id} did not end in 300 s`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** The worker logs each step of a launch with an ISO time: claimed, fetched, trainer started. */
function workerMoments(output: string, runId: string, createdAt: number) {
  const at = (re: RegExp) => {
    const m = output.match(re);
    return m ? (Date.parse(m[1]) - createdAt) / 1000 : null;
  };
  const id = runId.replace(/[^A-Za-z0-9_-]/g, "");
  const fetched = output.match(new RegExp(`run ${id}: fetched what it needs in ([\\d.]+) s`));
  return {
    claimed: at(new RegExp(`^(\\S+) run .* \\(${id}\\) claimed`, "m")),
    fetchedS: fetched ? Number(fetched[1]) : null,
    spawned: at(new RegExp(`^(\\S+) run ${id}: trainer started`, "m")),
  };
}
