// The thread that answers the charts' metric queries (metric.range, metric.history) on a database
// connection of its own, through a metric driver rather than Prisma (a few µs less per row). On
// SQLite every query runs synchronously where it is called, and one chart query over a long run
// reads thousands of rows; here it cannot hold up the event loop, which also serves the acks.
import { parentPort, workerData } from "node:worker_threads";
import { openDriver } from "./metric-driver";
import type { Reads } from "./metric-rollup";
import { metricHistory, metricRange, type RangeQuery } from "./metrics";

export type ReadRequest =
  | { id: number; kind: "range"; runId: string; query: RangeQuery }
  | { id: number; kind: "history"; runId: string; query: { keys?: string[]; maxPoints: number } };
export type ReadReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const port = parentPort!;
const driver = openDriver((workerData as { url: string }).url, { readOnly: true });
const db: Reads = async (sql) => (await driver).all(sql);
port.on("message", (m: ReadRequest | { kind: "close" }) => {
  if (m.kind === "close") return void driver.then((d) => d.close()).finally(() => process.exit(0));
  const answer = m.kind === "range" ? metricRange(db, m.runId, m.query) : metricHistory(db, m.runId, m.query);
  answer.then(
    (value) => port.postMessage({ id: m.id, ok: true, value } satisfies ReadReply),
    (e) => port.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies ReadReply),
  );
});
