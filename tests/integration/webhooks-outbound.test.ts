import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { startServer, tempDataDir, type TestServer } from "../helpers/server";

// A webhook must not turn the server into a proxy into its own machine or network, nor into a
// port scanner: refused targets get the same answer whether a port is open or not.
let receiver: http.Server;
let server: TestServer;
let port = 0;
let closedPort = 0;
const hits: string[] = [];

before(async () => {
  receiver = http.createServer((req, res) => {
    hits.push(req.url!);
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((r) => receiver.listen(0, "0.0.0.0", r));
  port = (receiver.address() as AddressInfo).port;
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  server = await startServer(tempDataDir("webhooks-outbound"));
});
after(async () => {
  await server?.stop();
  receiver?.close();
});

async function testDelivery(url: string) {
  const hook = await server.api.webhook.create.mutate({ runId: null, url, format: "json", minSeverity: "info" });
  try {
    return await server.api.webhook.test.mutate({ id: hook.id });
  } finally {
    await server.api.webhook.remove.mutate({ id: hook.id });
  }
}

test("test deliveries to this machine, its networks and metadata addresses are refused after resolution", async () => {
  const targets = [
    `http://127.0.0.1:${port}/a`, `http://localhost:${port}/b`, `http://[::1]:${port}/c`, `http://[::ffff:127.0.0.1]:${port}/d`,
    `http://0x7f000001:${port}/e`, `http://2130706433:${port}/f`, `http://127.1:${port}/g`, `http://0.0.0.0:${port}/h`,
    `http://[::]:${port}/i`, "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/meta-data/", "http://10.0.0.1/x",
    "http://192.168.0.1/x", `https://localhost:${port}/j`,
  ];
  for (const url of targets) {
    const r = await testDelivery(url);
    assert.equal(r.status, "failed", url);
    assert.equal(r.httpStatus, null, url);
    assert.match(r.error ?? "", /^Refused: .* is an? .*address|^Refused: localhost resolves to/, `${url}: ${r.error}`);
  }
  assert.deepEqual(hits, [], "no request reached the receiver");
});

test("an open and a closed port give the same refusal", async () => {
  const open = await testDelivery(`http://127.0.0.1:${port}/open`);
  const closed = await testDelivery(`http://127.0.0.1:${closedPort}/closed`);
  assert.equal(open.error, closed.error);
  assert.equal(open.error, "Refused: 127.0.0.1 is a loopback address");
});

test("with WEBHOOK_ALLOW_PRIVATE=1, loopback is reached but metadata addresses stay refused", async () => {
  const allowed = await startServer(tempDataDir("webhooks-outbound-private"), { WEBHOOK_ALLOW_PRIVATE: "1" });
  try {
    const create = (url: string) => allowed.api.webhook.create.mutate({ runId: null, url, format: "json", minSeverity: "info" });
    const ok = await allowed.api.webhook.test.mutate({ id: (await create(`http://localhost:${port}/allowed`)).id });
    assert.deepEqual([ok.status, ok.httpStatus], ["delivered", 200]);
    assert.deepEqual(hits, ["/allowed"]);
    const meta = await allowed.api.webhook.test.mutate({ id: (await create("http://169.254.169.254/latest/meta-data/")).id });
    assert.equal(meta.status, "failed");
    assert.match(meta.error!, /metadata/);
  } finally {
    await allowed.stop();
  }
  const bad = await startServer(tempDataDir("webhooks-outbound-bad"), { WEBHOOK_ALLOW_PRIVATE: "yes" }).catch((e: Error) => e);
  assert.ok(bad instanceof Error && /WEBHOOK_ALLOW_PRIVATE must be 0 or 1/.test(bad.message), String(bad));
});
