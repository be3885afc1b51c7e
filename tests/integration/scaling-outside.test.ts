import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { analyzeScaling, scalingPoints } from "../../lib/scaling";
import { ADMIN_ENV, bearer } from "../helpers/auth";
import { startServer, tempDataDir, type TestServer } from "../helpers/server";
import { writeKey } from "../helpers/worker";

const dataDir = tempDataDir("scaling-outside");
let server: TestServer;
let key: string;
let api: Awaited<ReturnType<typeof writeKey>>["api"];
before(async () => {
  server = await startServer(dataDir, ADMIN_ENV);
  ({ key, api } = await writeKey(server.url, "scaling"));
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function ml(path: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/api/2.0/mlflow/${path}`, { method: "POST", headers: { "content-type": "application/json", ...bearer(key) }, body: JSON.stringify(body) });
  const answer = await res.json();
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(answer)}`);
  return answer;
}

/** An outside run as a client logs it: params for N and D, its eval loss, then FINISHED. */
async function outsideRun(name: string, params: Record<string, string>, evalLoss: number | null, finish = true): Promise<string> {
  const id = (await ml("runs/create", { experiment_id: "0", run_name: name, start_time: Date.now() })).run.info.run_id as string;
  const now = Date.now();
  await ml("runs/log-batch", {
    run_id: id,
    params: Object.entries(params).map(([k, value]) => ({ key: k, value })),
    metrics: [{ key: "train_loss", value: 5, timestamp: now, step: 1 }, ...(evalLoss === null ? [] : [{ key: "eval_loss", value: evalLoss, timestamp: now, step: 10 }])],
  });
  if (finish) await ml("runs/update", { run_id: id, status: "FINISHED", end_time: Date.now() });
  return id;
}

test("outside runs give N and D as params (n_params / num_params, tokens / tokens_seen) and their eval loss; the others are left out with the reason", async () => {
  const ids: string[] = [];
  const law = (n: number, d: number) => 1.8 + 80 / n ** 0.4 + 200 / d ** 0.3;
  for (const [n, d] of [[1e5, 1e7], [3e5, 1e7], [1e6, 3e7], [1e5, 1e8], [3e5, 1e8], [1e6, 3e8]]) {
    const keyN = n === 3e5 ? "num_params" : "n_params";
    const keyD = d === 1e8 ? "tokens_seen" : "tokens";
    ids.push(await outsideRun(`out-${n}-${d}`, { [keyN]: String(n), [keyD]: String(d) }, law(n, d)));
  }
  const noParams = await outsideRun("no-params", { lr: "1e-3" }, 3);
  const noEval = await outsideRun("no-eval", { n_params: "1e5", tokens: "1e7" }, null);
  const running = await outsideRun("running", { n_params: "1e5", tokens: "1e7" }, 3, false);
  const inputs = await api.compare.scaling.query({ runIds: [...ids, noParams, noEval, running] });
  const { points, excluded } = scalingPoints(inputs);
  assert.deepEqual(points.map((p) => p.id), ids);
  assert.deepEqual(points.map((p) => [p.params, p.tokens]), [[1e5, 1e7], [3e5, 1e7], [1e6, 3e7], [1e5, 1e8], [3e5, 1e8], [1e6, 3e8]]);
  assert.deepEqual(excluded.map((e) => [e.name, e.reason.split(" (")[0]]), [["no-params", "parameter count unknown"], ["no-eval", "no val_loss logged"], ["running", "not finished"]]);
  const a = analyzeScaling(points, { resamples: 20 });
  assert.ok("fit" in a.parametric, JSON.stringify(a.parametric));
  assert.ok(Math.abs(a.parametric.fit.alpha - 0.4) < 0.05, String(a.parametric.fit.alpha));
  await assert.rejects(api.compare.scaling.query({ runIds: [] }), /Pick at least one run/);
});
