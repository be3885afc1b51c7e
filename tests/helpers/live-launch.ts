import crypto from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import { RunConfig } from "../../lib/run-config";
import type { TestServer } from "./server";

/**
 * A queued run written straight into a running server's database, with a token of its own: the
 * trainer channel takes its token as a live launch's (the run is active), while no trainer of the
 * server's runs for it, so the test can speak for the trainer.
 */
export function liveLaunch(server: TestServer, name = "test-trainer"): { runId: string; token: string } {
  const db = new Database(path.join(server.dataDir, "app.db"));
  try {
    const runId = `t${crypto.randomBytes(8).toString("hex")}`;
    const token = crypto.randomBytes(24).toString("hex");
    const config = RunConfig.parse({ name, steps: 100 });
    db.prepare(`INSERT INTO "Run" ("id", "name", "status", "config", "token", "totalSteps", "createdAt") VALUES (?, ?, 'queued', ?, ?, ?, ?)`)
      .run(runId, name, JSON.stringify(config), token, config.steps, new Date().toISOString().replace("Z", "+00:00"));
    return { runId, token };
  } finally {
    db.close();
  }
}

/** Marks a run active again (a seeded, finished run that a test trainer then extends). */
export function reactivate(server: TestServer, runId: string) {
  const db = new Database(path.join(server.dataDir, "app.db"));
  try {
    db.prepare(`UPDATE "Run" SET "status" = 'running' WHERE "id" = ?`).run(runId);
  } finally {
    db.close();
  }
}
