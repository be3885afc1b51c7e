import fs from "node:fs"; import os from "node:os"; import path from "node:path";
import { migrate, openDb } from "../server/db"; import { loadEnv } from "../server/env";
import { openSqlite } from "../server/services/metric-driver-sqlite"; import { MetricStore, type PointsOp } from "../server/services/metric-store";
import Database from "better-sqlite3";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "store-")); const env = loadEnv({ DATA_DIR: dataDir }); await migrate(env);
const db = openDb(env); const runs: string[] = [];
for (let i = 0; i < 8; i++) runs.push((await db.run.create({ data: { name: "r", config: "{}", token: "t" + i, totalSteps: 1 } })).id);
await db.$disconnect();
const KEYS = ["loss", "lr", "grad_norm", "tokens_per_sec", "model_gflops", "batch_size"];
let step = 0; const per = 200;
const op = (runId: string, from: number): PointsOp => { const n = per * 6; const key = new Uint16Array(n); const xs = new Float64Array(3 * n); for (let i = 0; i < n; i++) { key[i] = i % 6; xs[3*i] = from + Math.floor(i / 6); xs[3*i+1] = Math.random(); xs[3*i+2] = 1.7e9 + i; } return { kind: "points", runId, keys: KEYS, key, xs }; };
for (const [sync, ckpt] of [["FULL", 1000], ["NORMAL", 1000], ["FULL", 10000], ["NORMAL", 10000], ["FULL", 1000]] as const) {
  const driver = openSqlite(env.databaseUrl);
  const raw = new Database(path.join(dataDir, "app.db")); raw.pragma(`wal_checkpoint(TRUNCATE)`); raw.close();
  const store = new MetricStore(driver);
  await driver.run({ text: `PRAGMA synchronous = ${sync}`, params: [] }); await driver.run({ text: `PRAGMA wal_autocheckpoint = ${ckpt}`, params: [] });
  let total = 0; const t = performance.now();
  for (let f = 0; f < 25; f++) { const ops: PointsOp[] = []; for (let b = 0; b < 4; b++) { for (const r of runs) ops.push(op(r, step)); step += per; } await store.write(ops); total += ops.length * per * 6; }
  console.log(sync, ckpt, Math.round(total / ((performance.now() - t) / 1000)), "pts/s");
  await store.close();
}
