import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { EV, type MetricPoint } from "../../lib/protocol";
import { ADMIN_ENV, basic, bearer, socketWith } from "../helpers/auth";
import { startServer, tempDataDir, waitFor, type TestServer } from "../helpers/server";
import { writeKey } from "../helpers/worker";

const dataDir = tempDataDir("mlflow-api");
let server: TestServer;
let key: string;
let api: Awaited<ReturnType<typeof writeKey>>["api"];

before(async () => {
  server = await startServer(dataDir, { ...ADMIN_ENV, ARTIFACT_MAX_MB: "0.05" });
  ({ key, api } = await writeKey(server.url, "mlflow"));
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Answer { status: number; body: any }
async function ml(method: "GET" | "POST", path: string, body?: Record<string, unknown>, headers: Record<string, string> = bearer(key)): Promise<Answer> {
  const url = new URL(`${server.url}/api/2.0/mlflow/${path}`);
  if (method === "GET") for (const [k, v] of Object.entries(body ?? {})) url.searchParams.append(k, String(v));
  const res = await fetch(url, { method, headers: { "content-type": "application/json", ...headers }, body: method === "POST" ? JSON.stringify(body ?? {}) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const ok = async (method: "GET" | "POST", path: string, body?: Record<string, unknown>) => {
  const a = await ml(method, path, body);
  assert.equal(a.status, 200, `${path}: ${JSON.stringify(a.body)}`);
  return a.body;
};
const fails = async (a: Promise<Answer>, status: number, code: string, message?: RegExp) => {
  const { status: s, body } = await a;
  assert.equal(s, status, JSON.stringify(body));
  assert.equal(body.error_code, code);
  if (message) assert.match(body.message, message);
};

async function newRun(experiment: string, extra: Record<string, unknown> = {}) {
  return (await ok("POST", "runs/create", { experiment_id: experiment, start_time: Date.now(), ...extra })).run.info.run_id as string;
}

test("credentials: none is an MLflow-shaped 401, Bearer and Basic (MLFLOW_TRACKING_TOKEN / USERNAME+PASSWORD) both work, a wrong key is refused", async () => {
  await fails(ml("GET", "experiments/search", {}, {}), 401, "UNAUTHENTICATED");
  await fails(ml("GET", "experiments/search", {}, bearer("pk_nope")), 401, "UNAUTHENTICATED");
  assert.equal((await ml("GET", "experiments/search", {}, basic(key, "someone"))).status, 200);
  const ajax = await fetch(`${server.url}/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=Default`, { headers: bearer(key) });
  assert.equal(ajax.status, 200);
  assert.equal((await ajax.json()).experiment.experiment_id, "0");
  const noAuthAjax = await fetch(`${server.url}/ajax-api/2.0/mlflow/experiments/search`, { redirect: "manual" });
  assert.equal(noAuthAjax.status, 401, "the alias is an API, not a page that redirects to the sign-in");
});

test("experiments: create, get, get-by-name, search with a filter, rename, delete hides and restore brings back; errors carry MLflow's codes", async () => {
  const { experiment_id: id } = await ok("POST", "experiments/create", { name: "exp-a", tags: [{ key: "team", value: "lm" }] });
  assert.match(id, /^\d+$/);
  await fails(ml("POST", "experiments/create", { name: "exp-a" }), 400, "RESOURCE_ALREADY_EXISTS");
  await fails(ml("GET", "experiments/get-by-name", { experiment_name: "nope" }), 404, "RESOURCE_DOES_NOT_EXIST");
  await fails(ml("GET", "experiments/get", { experiment_id: "99999" }), 404, "RESOURCE_DOES_NOT_EXIST");
  await fails(ml("GET", "experiments/get", {}), 400, "INVALID_PARAMETER_VALUE", /experiment_id/);
  const got = (await ok("GET", "experiments/get", { experiment_id: id })).experiment;
  assert.equal(got.name, "exp-a");
  assert.deepEqual(got.tags, [{ key: "team", value: "lm" }]);
  assert.equal(got.lifecycle_stage, "active");
  const found = await ok("POST", "experiments/search", { filter: "name LIKE 'exp-%'", max_results: "10" });
  assert.deepEqual(found.experiments.map((e: { name: string }) => e.name), ["exp-a"]);
  await ok("POST", "experiments/update", { experiment_id: id, new_name: "exp-b" });
  assert.equal((await ok("GET", "experiments/get-by-name", { experiment_name: "exp-b" })).experiment.experiment_id, id);
  await ok("POST", "experiments/delete", { experiment_id: id });
  assert.ok(!(await ok("POST", "experiments/search", {})).experiments.some((e: { name: string }) => e.name === "exp-b"));
  assert.ok((await ok("POST", "experiments/search", { view_type: "DELETED_ONLY" })).experiments.some((e: { name: string }) => e.name === "exp-b"));
  await fails(ml("POST", "runs/create", { experiment_id: id }), 400, "INVALID_STATE");
  await ok("POST", "experiments/restore", { experiment_id: id });
  await fails(ml("POST", "experiments/delete", { experiment_id: "0" }), 400, "INVALID_PARAMETER_VALUE");
  await fails(ml("POST", "experiments/nope", {}), 404, "ENDPOINT_NOT_FOUND");
});

test("a run logs through log-batch with int64s as strings, NaN as protobuf's string, names our keys cannot hold, and reads back exactly", async () => {
  const { experiment_id: exp } = await ok("POST", "experiments/create", { name: "exp-log" });
  const runId = await newRun(exp, { run_name: "titan", tags: [{ key: "mlflow.user", value: "ada" }] });
  const t0 = Date.now();
  const metrics = Array.from({ length: 300 }, (_, step) => [
    { key: "train/loss", value: 5 - step / 100, timestamp: String(t0 + step), step: String(step) },
    { key: "throughput(tps)", value: 1000 + step, timestamp: t0 + step, step },
    { key: "mfu(%)", value: step === 7 ? "NaN" : 0.4, timestamp: t0 + step, step },
  ]).flat().slice(0, 900);
  await ok("POST", "runs/log-batch", { run_id: runId, metrics, params: [{ key: "lr", value: "3e-4" }, { key: "max_steps", value: "300" }], tags: [{ key: "stage", value: "pre" }] });

  const history = await ok("GET", "metrics/get-history", { run_id: runId, metric_key: "mfu(%)" });
  assert.equal(history.metrics.length, 300);
  assert.equal(history.metrics[7].value, "NaN");
  assert.equal(history.metrics[8].value, 0.4);
  assert.equal(history.metrics[8].timestamp, t0 + 8);
  const paged = await ok("GET", "metrics/get-history", { run_id: runId, metric_key: "throughput(tps)", max_results: 100 });
  assert.equal(paged.metrics.length, 100);
  const rest = await ok("GET", "metrics/get-history", { run_id: runId, metric_key: "throughput(tps)", max_results: 1000, page_token: paged.next_page_token });
  assert.deepEqual([...paged.metrics, ...rest.metrics].map((m: { step: number }) => m.step), Array.from({ length: 300 }, (_, i) => i));

  const run = (await ok("GET", "runs/get", { run_id: runId })).run;
  assert.equal(run.info.run_name, "titan");
  assert.equal(run.info.user_id, "ada");
  assert.equal(run.info.status, "RUNNING");
  assert.equal(run.info.artifact_uri, `mlflow-artifacts:/${exp}/${runId}/artifacts`);
  const latest = Object.fromEntries(run.data.metrics.map((m: { key: string; value: number; step: number }) => [m.key, m]));
  assert.equal(latest["train/loss"].step, 299);
  assert.equal(latest["throughput(tps)"].value, 1299);
  assert.deepEqual(run.data.params.sort((a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key)), [{ key: "lr", value: "3e-4" }, { key: "max_steps", value: "300" }]);
  assert.ok(run.data.tags.some((t: { key: string; value: string }) => t.key === "stage" && t.value === "pre"));

  // The dashboard's side: a run like any other, its loss under the loss role, its names kept.
  const summary = await api.run.get.query({ id: runId });
  assert.equal(summary.source, "mlflow");
  assert.equal(summary.totalSteps, 300);
  assert.equal(summary.keyRoles.loss, "train/loss");
  assert.equal(summary.keyRoles.tokens_per_sec, "throughput(tps)");
  await waitFor("the runs table's summary", async () => (await api.run.get.query({ id: runId })).lastLoss === 5 - 299 / 100);
  const stored = await api.metric.history.query({ runId, keys: ["loss", "tokens_per_sec"] });
  assert.ok(JSON.stringify(stored).includes("tokens_per_sec"));

  // Re-sending the same batch doubles nothing.
  await ok("POST", "runs/log-batch", { run_id: runId, metrics: metrics.slice(0, 30) });
  assert.equal((await ok("GET", "metrics/get-history", { run_id: runId, metric_key: "train/loss" })).metrics.length, 300);
});

test("log-batch limits, key length, steps and param immutability are refused with INVALID_PARAMETER_VALUE and write nothing", async () => {
  const runId = await newRun("0");
  const m = (i: number) => ({ key: "loss", value: 1, timestamp: Date.now(), step: i });
  await fails(ml("POST", "runs/log-batch", { run_id: runId, metrics: Array.from({ length: 1001 }, (_, i) => m(i)) }), 400, "INVALID_PARAMETER_VALUE", /1000/);
  await fails(ml("POST", "runs/log-batch", { run_id: runId, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: "1" })) }), 400, "INVALID_PARAMETER_VALUE", /100/);
  await fails(ml("POST", "runs/log-batch", { run_id: runId, tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: "1" })) }), 400, "INVALID_PARAMETER_VALUE", /100/);
  await fails(ml("POST", "runs/log-batch", { run_id: runId, metrics: Array.from({ length: 950 }, (_, i) => m(i)), params: Array.from({ length: 60 }, (_, i) => ({ key: `p${i}`, value: "1" })) }), 400, "INVALID_PARAMETER_VALUE", /1000/);
  await fails(ml("POST", "runs/log-batch", { run_id: runId, metrics: [{ ...m(0), key: "k".repeat(251) }] }), 400, "INVALID_PARAMETER_VALUE", /250/);
  await fails(ml("POST", "runs/log-batch", { run_id: runId, metrics: [{ ...m(0), value: "lots" }] }), 400, "INVALID_PARAMETER_VALUE");
  await fails(ml("POST", "runs/log-batch", { run_id: runId, metrics: [m(-1)] }), 400, "INVALID_PARAMETER_VALUE", /step/);
  await fails(ml("POST", "runs/log-batch", { run_id: runId, metrics: [{ ...m(0), step: "12.5" }] }), 400, "INVALID_PARAMETER_VALUE");
  const big = await fetch(`${server.url}/api/2.0/mlflow/runs/log-batch`, { method: "POST", headers: { "content-type": "application/json", ...bearer(key) }, body: JSON.stringify({ run_id: runId, tags: [{ key: "x", value: "y".repeat(1_100_000) }] }) });
  assert.equal(big.status, 400);
  assert.equal((await big.json()).error_code, "INVALID_PARAMETER_VALUE");
  const notJson = await fetch(`${server.url}/api/2.0/mlflow/runs/log-batch`, { method: "POST", headers: bearer(key), body: "{nope" });
  assert.equal(notJson.status, 400);
  assert.equal((await ok("GET", "metrics/get-history", { run_id: runId, metric_key: "loss" })).metrics.length, 0);

  await ok("POST", "runs/log-parameter", { run_id: runId, key: "seed", value: "1" });
  await ok("POST", "runs/log-parameter", { run_id: runId, key: "seed", value: "1" });
  await fails(ml("POST", "runs/log-parameter", { run_id: runId, key: "seed", value: "2" }), 400, "INVALID_PARAMETER_VALUE", /Changing param values is not allowed/);
  await fails(ml("POST", "runs/log-metric", { run_id: "no-such-run", key: "loss", value: 1, timestamp: Date.now() }), 404, "RESOURCE_DOES_NOT_EXIST");
  await fails(ml("GET", "runs/get", { run_id: "no-such-run" }), 404, "RESOURCE_DOES_NOT_EXIST");
  // A run of our own trainer is not an MLflow run.
  assert.equal(server.output().includes("Internal error"), false, server.output());
});

test("status comes from runs/update; delete hides from search and refuses logging; restore; set-tag/delete-tag; search filters and orders", async () => {
  const { experiment_id: exp } = await ok("POST", "experiments/create", { name: "exp-search" });
  const a = await newRun(exp, { run_name: "a" });
  const b = await newRun(exp, { run_name: "b" });
  await ok("POST", "runs/log-batch", { run_id: a, metrics: [{ key: "loss", value: 3, timestamp: Date.now(), step: 1 }], params: [{ key: "lr", value: "0.1" }] });
  await ok("POST", "runs/log-batch", { run_id: b, metrics: [{ key: "loss", value: 1, timestamp: Date.now(), step: 1 }], params: [{ key: "lr", value: "0.2" }] });
  const info = (await ok("POST", "runs/update", { run_id: a, status: "FINISHED", end_time: String(Date.now()) })).run_info;
  assert.equal(info.status, "FINISHED");
  assert.equal((await api.run.get.query({ id: a })).status, "completed");
  await ok("POST", "runs/update", { run_id: b, status: "KILLED" });
  assert.equal((await api.run.get.query({ id: b })).status, "stopped");

  const names = async (filter: string, order?: string[]) =>
    (await ok("POST", "runs/search", { experiment_ids: [exp], filter, ...(order ? { order_by: order } : {}) })).runs?.map((r: { info: { run_name: string } }) => r.info.run_name) ?? [];
  assert.deepEqual(await names("metrics.loss < 2"), ["b"]);
  assert.deepEqual(await names("params.lr = '0.1'"), ["a"]);
  assert.deepEqual(await names("attributes.status = 'FINISHED'"), ["a"]);
  assert.deepEqual(await names("", ["metrics.loss ASC"]), ["b", "a"]);
  assert.deepEqual(await names("tags.`mlflow.runName` IN ('a', 'b')", ["attributes.run_name DESC"]), ["b", "a"]);
  await fails(ml("POST", "runs/search", { experiment_ids: [exp], filter: "metrics.loss ~ 2" }), 400, "INVALID_PARAMETER_VALUE");

  await ok("POST", "runs/set-tag", { run_id: a, key: "note", value: "keep" });
  await ok("POST", "runs/delete-tag", { run_id: a, key: "note" });
  await fails(ml("POST", "runs/delete-tag", { run_id: a, key: "note" }), 404, "RESOURCE_DOES_NOT_EXIST");
  await ok("POST", "runs/delete", { run_id: a });
  assert.deepEqual(await names(""), ["b"]);
  await fails(ml("POST", "runs/log-metric", { run_id: a, key: "loss", value: 1, timestamp: Date.now(), step: 2 }), 400, "INVALID_PARAMETER_VALUE", /active/);
  await ok("POST", "runs/restore", { run_id: a });
  assert.equal((await names("")).length, 2);
});

test("a create carrying pretrain.client_key is idempotent, so a client may retry one whose answer it lost", async () => {
  const tags = [{ key: "pretrain.client_key", value: "c0ffee" }];
  const first = await newRun("0", { tags });
  const again = await newRun("0", { tags });
  assert.equal(again, first);
  assert.notEqual(await newRun("0", { tags: [{ key: "pretrain.client_key", value: "other" }] }), first);
});

test("an outside run is live and watched: points reach a browser socket, a NaN loss alerts, silence is a stall, roles can be moved", async () => {
  const runId = await newRun("0", { tags: [{ key: "pretrain.stall_seconds", value: "5" }] });
  const socket = await socketWith(server.url, { token: key });
  const seen: MetricPoint[] = [];
  const alerts: { type: string; runId: string }[] = [];
  socket.on(EV.metricBatch, (b: { runId: string; points: MetricPoint[] }) => b.runId === runId && seen.push(...b.points));
  socket.on(EV.alertNew, (a: { type: string; runId: string }) => a.runId === runId && alerts.push(a));
  socket.emit(EV.runSubscribe, runId);
  socket.emit(EV.alertsSubscribe);
  await new Promise((r) => setTimeout(r, 300));
  const at = (step: number, value: number | string) => ({ key: "loss", value, timestamp: Date.now(), step });
  await ok("POST", "runs/log-batch", { run_id: runId, metrics: Array.from({ length: 40 }, (_, i) => at(i, 4 - i / 100)) });
  await waitFor("live points", () => seen.length >= 40, 10_000);
  assert.equal(seen[0].key, "loss");
  await ok("POST", "runs/log-metric", { run_id: runId, ...at(40, "NaN") });
  await waitFor("a nan alert", () => alerts.some((a) => a.type === "nan"), 10_000);
  await waitFor("a stall alert after 5 s of silence", () => alerts.some((a) => a.type === "stall"), 20_000);
  const stall = (await api.alert.list.query({ runId })).find((a) => a.type === "stall")!;
  assert.match(stall.message, /nothing logged/);

  // The trainer names its loss some other way: moving the role moves the stored points with it.
  await ok("POST", "runs/log-batch", { run_id: runId, metrics: [{ key: "lm_loss_custom", value: 2, timestamp: Date.now(), step: 41 }] });
  await ok("POST", "runs/set-tag", { run_id: runId, key: "pretrain.key.loss", value: "lm_loss_custom" });
  const summary = await api.run.get.query({ id: runId });
  assert.equal(summary.keyRoles.loss, "lm_loss_custom");
  assert.equal((await ok("GET", "metrics/get-history", { run_id: runId, metric_key: "loss" })).metrics.length, 41, "the old loss keeps its points under its own name");
  assert.equal((await ok("GET", "metrics/get-history", { run_id: runId, metric_key: "lm_loss_custom" })).metrics[0].value, 2);
  socket.close();
});

test("artifacts: streamed PUT lands in the run's directory, GET and listing read it back, the size cap and path escapes are refused", async () => {
  const runId = await newRun("0");
  const base = `${server.url}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts`;
  const bytes = Buffer.alloc(20_000, 7);
  const put = await fetch(`${base}/checkpoint-100/model.bin`, { method: "PUT", headers: bearer(key), body: bytes });
  assert.equal(put.status, 200, await put.text());
  assert.ok(fs.existsSync(`${dataDir}/runs/${runId}/artifacts/checkpoint-100/model.bin`));
  const got = await fetch(`${base}/checkpoint-100/model.bin`, { headers: bearer(key) });
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
  const listing = await (await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`0/${runId}/artifacts/checkpoint-100`)}`, { headers: bearer(key) })).json();
  assert.deepEqual(listing.files, [{ path: "checkpoint-100/model.bin", is_dir: false, file_size: 20_000 }]);
  const tooBig = await fetch(`${base}/big.bin`, { method: "PUT", headers: bearer(key), body: Buffer.alloc(60_000) });
  assert.equal(tooBig.status, 400);
  assert.equal(fs.existsSync(`${dataDir}/runs/${runId}/artifacts/big.bin`), false);
  for (const evil of [`${base}/..%2F..%2F..%2Fapp.db`, `${base}/a/%2E%2E/%2E%2E/x`]) {
    const r = await fetch(evil, { method: "PUT", headers: bearer(key), body: "x" });
    assert.ok(r.status === 400 || r.status === 403, `${evil}: ${r.status}`);
  }
  const other = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/not-a-run/artifacts/x`, { method: "PUT", headers: bearer(key), body: "x" });
  assert.equal(other.status, 404);
  const anon = await fetch(`${base}/anon.bin`, { method: "PUT", body: "x" });
  assert.equal(anon.status, 401);
});
