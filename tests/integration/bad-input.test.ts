import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { io } from "socket.io-client";
import { EV } from "../../lib/protocol";
import { vulkanFacts } from "../../trainer/backend/webgpu";
import { browserSocket, startServer, tempDataDir, TINY, type TestServer } from "../helpers/server";

let server: TestServer;
before(async () => {
  server = await startServer(tempDataDir("bad-input"));
});
after(async () => {
  await server?.stop();
});

test("an invalid run config is refused with a message per field, and nothing is created", async () => {
  await assert.rejects(
    server.api.run.create.mutate({ ...TINY, name: "bad", nHead: 3, dModel: 32 } as never),
    (e: any) => e.data?.fieldErrors?.dModel?.includes("divisible") === true,
  );
  await assert.rejects(server.api.run.create.mutate({ ...TINY, name: "", lr: -1 } as never), (e: any) => {
    assert.ok(e.data.fieldErrors.name);
    assert.ok(e.data.fieldErrors.lr);
    return true;
  });
  const res = await fetch(`${server.url}/api/trpc/run.create`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
  assert.equal(res.status, 400);
  assert.deepEqual(await server.api.run.list.query(), []);
});

test("the backend probe says what each backend does here, and a run on one that cannot start is refused at its field", async () => {
  const report = await server.api.backends.query();
  assert.deepEqual(report.backends.map((b) => b.name), ["tensorflow", "webgpu", "wasm", "cpu"]);
  const wasm = report.backends.find((b) => b.name === "wasm")!;
  assert.ok(wasm.available, wasm.detail);
  const firstUsable = report.backends.find((b) => b.available && !(b.name === "webgpu" && /software adapter/.test(b.detail)))!;
  assert.equal(report.auto, firstUsable.name);
  assert.equal(await server.api.backends.query().then((r) => JSON.stringify(r)), JSON.stringify(report), "probed once, then the same answer");
  if (!vulkanFacts().loader) {
    const webgpu = report.backends.find((b) => b.name === "webgpu")!;
    assert.equal(webgpu.available, false);
    assert.match(webgpu.detail, /^no GPU adapter: the Vulkan loader libvulkan\.so\.1 is not installed/);
  }
  const missing = report.backends.filter((b) => !b.available);
  assert.ok(missing.length > 0 || vulkanFacts().loader, "without Vulkan, webgpu at least is missing");
  for (const b of missing)
    await assert.rejects(server.api.run.create.mutate({ ...TINY, name: `on-${b.name}`, backend: b.name }), (e: any) => {
      assert.equal(e.data?.fieldErrors?.backend, `${b.name} cannot start on this machine: ${b.detail}. auto would use ${report.auto}`);
      return true;
    });
  assert.deepEqual(await server.api.run.list.query(), []);
});

test("fault injection is refused unless the server was started with ENABLE_FAULT_INJECTION=1", async () => {
  await assert.rejects(server.api.run.create.mutate({ ...TINY, name: "faulty", faults: [{ kind: "exit", step: 3, code: 1 }] }), (e: any) => {
    assert.equal(e.data?.code, "FORBIDDEN");
    assert.match(e.message, /ENABLE_FAULT_INJECTION=1/);
    return true;
  });
  assert.deepEqual(await server.api.run.list.query(), []);
});

test("unknown runs and impossible transitions get clear errors", async () => {
  await assert.rejects(server.api.run.get.query({ id: "nope" }), /No run with id nope/);
  await assert.rejects(server.api.run.resume.mutate({ id: "nope" }), /No run with id nope/);
});

test("bad socket payloads are answered with an error and never crash the server", async () => {
  const socket = await browserSocket(server.url);
  const reply = await socket.timeout(5000).emitWithAck(EV.runSubscribe, { not: "a run id" });
  assert.equal(reply.ok, false);
  assert.match(reply.error, /Invalid run:subscribe/);
  socket.emit(EV.runSubscribe, "x".repeat(10_000));
  socket.close();

  const intruder = io(`${server.url}/trainer`, { auth: { runId: "nope", token: "0".repeat(48) }, reconnection: false });
  const refused = await new Promise<string>((resolve) => intruder.once("connect_error", (e) => resolve(e.message)));
  assert.match(refused, /Unknown run or wrong token/);
  intruder.close();

  const health = await server.api.run.list.query();
  assert.ok(Array.isArray(health), "server still answers");
});

// Last: it leaves a run behind, where the tests above expect none.
test("a run for a worker's queue may name a backend this machine lacks: it trains on that worker's", async () => {
  const report = await server.api.backends.query();
  const missing = report.backends.find((b) => !b.available);
  if (!missing) return;
  const remote = await server.api.run.create.mutate({ ...TINY, name: "on-a-worker", backend: missing.name, queue: "gpu" });
  assert.equal(remote.config.backend, missing.name);
  assert.equal(remote.config.queue, "gpu");
  await server.api.run.stop.mutate({ id: remote.id });
});
