import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { Server } from "socket.io";
import { EV, type MetricBatch } from "../../lib/protocol";
import { Reporter } from "../../trainer/reporter";
import { waitFor } from "../helpers/server";

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

  const reporter = new Reporter(url, "run-1", "t".repeat(32));
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
