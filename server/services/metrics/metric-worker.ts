// The metric writer's thread: it owns the store's database connection, so a flush's statements
// (and SQLite's synchronous calls) never run on the server's event loop.
import fs from "node:fs";
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { openDriver } from "./metric-driver";
import { MetricStore, type WriteOp } from "./metric-store";

export type WorkerRequest = { kind: "write"; id: number; ops: WriteOp[] } | { kind: "forget"; runId: string } | { kind: "close" };
export type WorkerReply = { kind: "ready" } | { kind: "fatal"; error: string } | { kind: "written"; id: number; ms: number } | { kind: "failed"; id: number; error: string } | { kind: "closed" };

const port = parentPort!;
const send = (r: WorkerReply) => port.postMessage(r);

/**
 * Bulk writes are the server's background work: this thread yields the CPU to the event loop
 * (acks, the API) and to trainers on the same machine, whose tokens/s a busy writer would cut.
 * Linux sets a nice value per thread; elsewhere the thread keeps the process's priority.
 */
const NICE = 10;
try {
  const tid = Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(tid)) os.setPriority(tid, Math.max(os.getPriority(tid), NICE));
} catch {
  // Not Linux, or /proc is not mounted: nothing to lower.
}

try {
  const store = new MetricStore(await openDriver((workerData as { url: string }).url));
  // One flush at a time, in the order they came.
  let queue = Promise.resolve();
  port.on("message", (m: WorkerRequest) => {
    queue = queue.then(async () => {
      if (m.kind === "forget") return store.forget(m.runId);
      if (m.kind === "close") {
        await store.close();
        send({ kind: "closed" });
        return;
      }
      const started = performance.now();
      try {
        await store.write(m.ops);
        send({ kind: "written", id: m.id, ms: performance.now() - started });
      } catch (e) {
        send({ kind: "failed", id: m.id, error: e instanceof Error ? e.message : String(e) });
      }
    });
  });
  send({ kind: "ready" });
} catch (e) {
  send({ kind: "fatal", error: e instanceof Error ? e.message : String(e) });
}
