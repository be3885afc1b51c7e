import crypto from "node:crypto";
import { RunConfig } from "../../lib/run-config";
import { openTestDb } from "./db";
import type { TestServer } from "./server";

/**
 * A queued run written straight into a running server's database, with a token of its own: the
 * trainer channel takes its token as a live launch's (the run is active), while no trainer of the
 * server's runs for it, so the test can speak for the trainer.
 */
export async function liveLaunch(server: TestServer, name = "test-trainer"): Promise<{ runId: string; token: string }> {
  const db = await openTestDb(server.dataDir);
  try {
    const runId = `t${crypto.randomBytes(8).toString("hex")}`;
    const token = crypto.randomBytes(24).toString("hex");
    const config = RunConfig.parse({ name, steps: 100 });
    await db.run(`INSERT INTO "Run" ("id", "name", "status", "config", "token", "totalSteps", "createdAt") VALUES (?, ?, 'queued', ?, ?, ?, ?)`,
      runId, name, JSON.stringify(config), token, config.steps, db.now());
    return { runId, token };
  } finally {
    await db.close();
  }
}

/** Marks a run active again (a seeded, finished run that a test trainer then extends). */
export async function reactivate(server: TestServer, runId: string) {
  const db = await openTestDb(server.dataDir);
  try {
    await db.run(`UPDATE "Run" SET "status" = 'running' WHERE "id" = ?`, runId);
  } finally {
    await db.close();
  }
}
