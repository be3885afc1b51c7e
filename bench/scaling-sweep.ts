// A small real IsoFLOP sweep through a real server: budgets × sizes of tiny models, trained on
// this machine's CPU, then both scaling-law fits and the compute-optimal split at 10× the
// largest budget. Usage: npm run bench:scaling -- [--budgets 2e9,6e9,2e10] [--sizes 1x16,1x32,2x48] [--trainers 1] [--minutes 10]
import fs from "node:fs";
import { parseArgs } from "node:util";
import { analyzeScaling, computeOf, extrapolate, scalingPoints } from "../lib/scaling";
import { prepareSmall, startServer, tempDataDir, waitFor } from "../tests/helpers/server";

const { values } = parseArgs({
  options: {
    budgets: { type: "string", default: "2e9,6e9,2e10" },
    sizes: { type: "string", default: "1x16,1x32,2x48" },
    trainers: { type: "string", default: "1" },
    minutes: { type: "string", default: "10" },
  },
});
const budgets = values.budgets.split(",").map(Number);
const sizes = values.sizes.split(",").map((s) => { const [l, d] = s.split("x").map(Number); return { nLayer: l, dModel: d }; });
if (budgets.some((b) => !(b > 0)) || sizes.some((s) => !(s.nLayer > 0 && s.dModel > 0))) throw new Error("--budgets are FLOPs, --sizes are layers×width, e.g. 1x32");

const dataDir = tempDataDir("bench-scaling");
const server = await startServer(dataDir, { MAX_TRAINERS: values.trainers });
const t0 = Date.now();
try {
  const dataset = await prepareSmall(server);
  const base = { dataset, nHead: 2, dModel: 32, contextLength: 32, batchSize: 8, lr: 3e-3, minLr: 3e-4, warmupSteps: 10, evalInterval: 50, evalBatches: 4, checkpointInterval: 100000, evals: [], backend: "wasm" };
  const input = { name: "bench", base, budgets, sizes, minSteps: 50 };
  const plan = await server.api.sweep.plan.query(input);
  for (const c of plan.cells) console.log(`C=${c.budget.toExponential(1)} ${c.nLayer}x${c.dModel} N=${c.params} steps=${c.steps} D=${c.tokens} D/N=${c.tokensPerParam.toFixed(1)}${c.skip ? ` skipped: ${c.skip}` : ""}`);
  const made = await server.api.sweep.create.mutate(input);
  console.log(`created ${made.runIds.length} runs in ${made.project}`);
  await waitFor("the sweep to finish", async () => {
    const runs = await Promise.all(made.runIds.map((id) => server.api.run.get.query({ id })));
    const bad = runs.find((r) => r.status === "failed" || r.status === "crashed");
    if (bad) throw new Error(`${bad.name} ${bad.status}: ${bad.error}`);
    return runs.every((r) => r.status === "completed");
  }, Number(values.minutes) * 60_000);
  const trainSeconds = (Date.now() - t0) / 1000;
  const inputs = await server.api.compare.scaling.query({ runIds: made.runIds });
  const { points } = scalingPoints(inputs);
  for (const p of points) console.log(`${inputs.find((r) => r.id === p.id)!.name}: N=${p.params} D=${p.tokens} C=${computeOf(p).toExponential(2)} best val loss ${p.loss.toFixed(4)}`);
  const t1 = performance.now();
  const a = analyzeScaling(points, { resamples: 200, seed: 1 });
  const fitMs = performance.now() - t1;
  const f = (x: number) => Number(x.toPrecision(3));
  if ("fit" in a.parametric) {
    const { fit, intervals } = a.parametric;
    console.log(`L(N,D): ${(["E", "A", "B", "alpha", "beta"] as const).map((k) => `${k}=${f(fit[k])} [${f(intervals[k]!.lo)}, ${f(intervals[k]!.hi)}]`).join("  ")}`);
  } else console.log(`L(N,D) not fitted: ${a.parametric.problems.join("; ")}`);
  if ("fit" in a.compute) console.log(`L(C) (${a.compute.fit.form}): E=${f(a.compute.fit.E)} A=${f(a.compute.fit.A)} gamma=${f(a.compute.fit.gamma)} [${f(a.compute.intervals.gamma!.lo)}, ${f(a.compute.intervals.gamma!.hi)}]${a.compute.fit.note ? ` (${a.compute.fit.note})` : ""}`);
  const target = 10 * Math.max(...budgets);
  const x = extrapolate(a, target);
  if (x.computeLoss) console.log(`at C*=${target.toExponential(1)}: L(C*)=${x.computeLoss.value.toFixed(4)} [${x.computeLoss.interval?.lo.toFixed(4)}, ${x.computeLoss.interval?.hi.toFixed(4)}]`);
  if (x.optimal) {
    const { value: v, intervals: i } = x.optimal;
    console.log(`optimal split at C*: N=${f(v.params)} [${f(i.params!.lo)}, ${f(i.params!.hi)}]  D=${f(v.tokens)} [${f(i.tokens!.lo)}, ${f(i.tokens!.hi)}]  D/N=${f(v.tokensPerParam)} [${f(i.tokensPerParam!.lo)}, ${f(i.tokensPerParam!.hi)}]  loss=${v.loss.toFixed(4)}`);
  }
  console.log(`sweep wall time ${trainSeconds.toFixed(0)} s; fits with 200 resamples in ${fitMs.toFixed(0)} ms`);
} finally {
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
