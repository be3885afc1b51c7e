import assert from "node:assert/strict";
import { after, test } from "node:test";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

let server: TestServer;
after(async () => {
  await server?.stop();
});

test("a tiny run with z-loss, QK-norm and logit and attention soft-caps completes through the server, logs z_loss, evaluates and generates; export is refused", async () => {
  server = await startServer(tempDataDir("stabilisers"));
  await assert.rejects(server.api.run.create.mutate({ ...TINY, name: "bad", logitSoftCap: 0 }), (e: any) => {
    assert.equal(e?.data?.code, "BAD_REQUEST");
    assert.ok(e.data.fieldErrors?.logitSoftCap, e.message);
    return true;
  });
  const dataset = await prepareSmall(server);
  const steps = 30;
  const run = await server.api.run.create.mutate({
    ...TINY, name: "stabilisers", dataset, steps, evalInterval: 15, evalExamples: 8, evalBudget: 0.9,
    evals: [{ task: "lambada", file: "synthetic" }], zLoss: 1e-3, qkNorm: true, logitSoftCap: 30, attnSoftCap: 50,
  });
  await waitFor("the run to complete", async () => {
    const r = await server.api.run.get.query({ id: run.id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`run ${r.status}: ${r.error}`);
    return r.status === "completed";
  }, 300_000);
  const history = await server.api.metric.history.query({ runId: run.id });
  const z = history.z_loss?.map((p) => p.value as number) ?? [];
  assert.equal(z.length, steps, "z_loss at every step");
  assert.ok(z.every((v) => v > 0 && v < 1), `z_loss is zLoss * mean(log Z^2): ${z.slice(0, 3)}`);
  const loss = history.loss.map((p) => p.value as number);
  assert.ok(loss.at(-1)! < loss[0], `it trains: ${loss[0]} -> ${loss.at(-1)}`);
  assert.ok(history["val_loss"]?.length >= 2 && history["eval/lambada/acc"]?.length >= 2, "validation and benchmarks ran on the stabilised model");

  const generated = await server.api.checkpoint.generate.mutate({ runId: run.id, step: steps, prompt: "The ", temperature: 0, topK: 0, maxTokens: 8 });
  assert.ok(generated.tokens.length > 0);
  await assert.rejects(server.api.checkpoint.export.mutate({ runId: run.id, step: steps }), (e: any) => {
    assert.equal(e?.data?.code, "BAD_REQUEST");
    assert.match(e.message, /uses qkNorm .* and logitSoftCap 30 and attnSoftCap 50, which the gpt2 export layout .* cannot represent/);
    return true;
  });
  // The q/k gains are part of the weights' shape: a fork must keep qkNorm; the caps and z-loss may change.
  const fork = { ...TINY, name: "fork", dataset, steps: steps + 5, initFrom: { runId: run.id, step: steps }, queue: "nowhere" };
  await assert.rejects(server.api.run.create.mutate({ ...fork, qkNorm: false }), /Cannot fork: qkNorm is false, the parent's is true/);
  const forked = await server.api.run.create.mutate({ ...fork, qkNorm: true, zLoss: 0, logitSoftCap: null });
  assert.equal(forked.status, "queued");
});
