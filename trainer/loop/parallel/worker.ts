// A gradient worker: its own TensorFlow.js backend and copy of the parameters. Each job reads the
// parameters and tokens the trainer wrote, runs the forward/backward passes of its rows and writes
// their mean gradient to its slot.
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../../lib/rng";
import { selectBackend } from "../../backend/backend";
import type { Params } from "../../model/model";
import { accumulateGradients, objectivePass } from "../accumulate";
import { flatLayout } from "./layout";
import type { Job, Reply, WorkerInit } from "./messages";

const init = workerData as WorkerInit;
const port = parentPort!;
const send = (r: Reply) => port.postMessage(r);

await selectBackend(init.backend);
const { slots } = flatLayout(init.shapes);
const paramView = new Float32Array(init.params);
const gradView = new Float32Array(init.grads);
const tokens = new Int32Array(init.tokens);
const params: Params = new Map(
  slots.map((s) => [s.name, tf.tidy(() => tf.variable(tf.tensor(paramView.slice(s.offset, s.offset + s.size), s.shape), true, `worker/${s.name}`))]),
);
const rng = new Rng(0);
const pass = objectivePass(params, init.model, init.T, rng, init.maskId);
let jobs = 0;

function misbehave(kind: NonNullable<WorkerInit["fault"]>["kind"]): void {
  if (kind === "throw") throw new Error(`injected fault in worker ${init.index}`);
  if (kind === "exit") process.exit(3);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

async function run({ start, count, rng: state }: Job): Promise<Reply> {
  const { T, maxRows } = init;
  // Copies, not views: the cpu backend keeps the array a tensor is made from.
  for (const s of slots) tf.tidy(() => params.get(s.name)!.assign(tf.tensor(paramView.slice(s.offset, s.offset + s.size), s.shape)));
  const batch = { x: tokens.slice(start * T, (start + count) * T), y: tokens.slice((maxRows + start) * T, (maxRows + start + count) * T) };
  rng.setState(state);
  const { loss, grads, z } = accumulateGradients(pass, batch, count, init.micro || count, T);
  try {
    // Asynchronous reads, as webgpu requires; on wasm and cpu they cost what dataSync does.
    const missing: string[] = [];
    for (const s of slots) {
      const g = grads.get(params.get(s.name)!.name);
      if (g) gradView.set((await g.data()) as Float32Array, s.offset);
      else missing.push(s.name);
    }
    return { kind: "done", loss: (await loss.data())[0], missing, ...(z && { z: (await z.data())[0] }) };
  } finally {
    tf.dispose([loss, ...grads.values(), ...(z ? [z] : [])]);
  }
}

// One job at a time: the trainer sends the next only after this one's reply.
port.on("message", async (job: Job) => {
  try {
    jobs++;
    if (init.fault?.worker === init.index && init.fault.job === jobs) misbehave(init.fault.kind);
    send(await run(job));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ kind: "failed", message: err.message, stack: err.stack });
  }
});
send({ kind: "ready" });
