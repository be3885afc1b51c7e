import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { Server } from "socket.io";
import { EV, type MetricBatch } from "../../lib/protocol";
import { Reporter } from "../../trainer/report/reporter";
import { tempDataDir, waitFor } from "../helpers/server";

const httpServer = http.createServer();
const io = new Server(httpServer);
after(() => new Promise<void>((r) => { io.close(); httpServer.close(() => r()); }));

test("a metric batch that was never acked is re-sent after a reconnect, and nothing is lost", async () => {
  const received: MetricBatch[] = [];
  let dropNext = true;
  io.of("/trainer").on("connection", (socket) => {
    socket.on(EV.metricBatch, (batch: MetricBatch, ack: (r: unknown) => void) => {
      received.push(batch);
      if (dropNext) {
        dropNext = false;
        socket.conn.close(); // the connection dies before the ack, as in a network blip
        return;
      }
      ack({ ok: true, seq: batch.seq });
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;

  const reporter = new Reporter(url, "run-1", "t".repeat(32), tempDataDir("reporter"));
  await reporter.connected();
  const now = Date.now() / 1000;
  reporter.push([{ step: 0, key: "loss", value: 5, wallTime: now }, { step: 0, key: "lr", value: NaN, wallTime: now }]);
  await waitFor("the dropped batch", () => received.length >= 1, 10_000);
  reporter.push([{ step: 1, key: "loss", value: 4, wallTime: now }]);
  await reporter.drain(20_000);
  reporter.close();

  const seqs = received.map((b) => b.seq);
  assert.ok(seqs.filter((s) => s === 0).length >= 2, `batch 0 was sent again: ${seqs}`);
  const delivered = new Map(received.flatMap((b) => b.points.map((p) => [`${p.key}@${p.step}`, p.value])));
  assert.deepEqual([...delivered.keys()].sort(), ["loss@0", "loss@1", "lr@0"]);
  assert.equal(delivered.get("lr@0"), null, "NaN travels as null");
});

test("batches a trainer never had acked are journaled and go first when the run's next trainer starts", async () => {
  const runDir = tempDataDir("journal");
  const received: MetricBatch[] = [];
  let acking = false;
  io.of("/trainer").removeAllListeners("connection");
  io.of("/trainer").on("connection", (socket) => {
    socket.on(EV.metricBatch, (batch: MetricBatch, ack: (r: unknown) => void) => {
      received.push(batch);
      if (acking) ack({ ok: true, seq: batch.seq });
    });
  });
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const now = Date.now() / 1000;

  const first = new Reporter(url, "run-2", "t".repeat(32), runDir);
  await first.connected();
  first.push([{ step: 0, key: "loss", value: 5, wallTime: now }]);
  first.push([{ step: 1, key: "loss", value: 4, wallTime: now }]);
  first.persist(); // as before a checkpoint: on disk now
  first.push([{ step: 2, key: "loss", value: 3, wallTime: now }]);
  first.flush();
  await waitFor("both batches sent", () => received.length >= 2, 10_000);
  first.close(); // no ack came: as if the trainer was killed here
  assert.ok(fs.readFileSync(path.join(runDir, "metrics.journal"), "utf8").includes('"step":2'));

  received.length = 0;
  acking = true;
  const second = new Reporter(url, "run-2", "t".repeat(32), runDir);
  await second.connected();
  await second.drain(20_000);
  second.close();
  const steps = received.flatMap((b) => b.points.map((p) => p.step)).sort();
  assert.deepEqual(steps, [0, 1, 2], "the journal's batches were replayed");
  assert.equal(fs.readFileSync(path.join(runDir, "metrics.journal"), "utf8"), "", "acked batches leave the journal");
});

test("past the memory bound unacked batches live only in the journal and are read back from it for the replay", async () => {
  const runDir = tempDataDir("spill");
  const received: MetricBatch[] = [];
  let acking = false;
  const sockets: { conn: { close(): void } }[] = [];
  io.of("/trainer").removeAllListeners("connection");
  io.of("/trainer").on("connection", (socket) => {
    sockets.push(socket);
    socket.on(EV.metricBatch, (batch: MetricBatch, ack: (r: unknown) => void) => {
      received.push(batch);
      if (acking) ack({ ok: true, seq: batch.seq });
    });
  });
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const reporter = new Reporter(url, "run-3", "t".repeat(32), runDir, 2);
  await reporter.connected();
  for (let step = 0; step < 10; step++) {
    reporter.push([{ step, key: "loss", value: 10 - step, wallTime: step }]);
    reporter.flush();
  }
  await waitFor("ten batches sent, none acked", () => received.length >= 10, 10_000);
  received.length = 0;
  acking = true;
  sockets.at(-1)!.conn.close(); // the replay after the reconnect reads eight batches back from the journal
  await reporter.drain(20_000);
  reporter.close();
  const steps = [...new Set(received.flatMap((b) => b.points.map((p) => p.step)))].sort((a, b) => a - b);
  assert.deepEqual(steps, Array.from({ length: 10 }, (_, i) => i));
  assert.equal(fs.readFileSync(path.join(runDir, "metrics.journal"), "utf8"), "");
});
