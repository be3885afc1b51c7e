// The TypeScript twin of tests/python/long_run.py: logs STEPS steps of four keys whose values are
// simple functions of the step, paced so a test can kill the server, or this process, mid-run.
// With RUN_ID set it resumes that run from the step after the last one logged.
import { init } from "../../clients/typescript/pretrain-client";

const STEPS = Number(process.env.STEPS);
const NAN_STEP = Number(process.env.NAN_STEP);
const values = (s: number) => ({
  loss: 4 + 1 / (s + 1),
  lr: (s * 3e-4) / STEPS,
  "throughput(tps)": 1000 + s * 0.25,
  "grad/norm": s === NAN_STEP ? NaN : s / 7,
});

const run = await init({
  project: "ts-client-test",
  name: "long-run",
  config: { model: { n_layer: 2, d_model: 64 }, lr: 3e-4, tags: ["a", "b"] },
  runId: process.env.RUN_ID || undefined,
  bufferDir: process.env.BUFFER_DIR,
  flushIntervalMs: 200,
});
console.log(`run ${run.id} from ${run.step} adopted ${run.adoptedPoints}`);
for (let s = run.step; s < STEPS; s++) {
  run.log(values(s));
  if (s % 100 === 0) console.log(`step ${s}`);
  await new Promise((r) => setTimeout(r, 2));
}
const left = await run.finish("completed", 120_000);
console.log(`done left=${left}`);
process.exit(left === 0 ? 0 : 3);
