-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "config" TEXT NOT NULL,
    "backend" TEXT,
    "error" TEXT,
    "warning" TEXT,
    "token" TEXT NOT NULL,
    "step" INTEGER NOT NULL DEFAULT 0,
    "totalSteps" INTEGER NOT NULL,
    "paramCount" INTEGER,
    "lastLoss" REAL,
    "tokensPerSec" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "endedAt" DATETIME,
    "restarts" INTEGER NOT NULL DEFAULT 0,
    "workerId" TEXT,
    "workerLeaseUntil" DATETIME,
    "workerExit" TEXT,
    "source" TEXT NOT NULL DEFAULT 'trainer',
    "experimentId" INTEGER,
    "lifecycle" TEXT NOT NULL DEFAULT 'active',
    "keyRoles" TEXT NOT NULL DEFAULT '{}',
    "userName" TEXT,
    "lastLogAt" DATETIME,
    "notes" TEXT NOT NULL DEFAULT '',
    "labels" TEXT NOT NULL DEFAULT '[]',
    "project" TEXT,
    "starred" BOOLEAN NOT NULL DEFAULT false,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "Run_workerId_fkey" FOREIGN KEY ("workerId") REFERENCES "Worker" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Run_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("backend", "config", "createdAt", "endedAt", "error", "experimentId", "id", "keyRoles", "lastLogAt", "lastLoss", "lifecycle", "name", "paramCount", "restarts", "source", "startedAt", "status", "step", "token", "tokensPerSec", "totalSteps", "userName", "warning", "workerExit", "workerId", "workerLeaseUntil") SELECT "backend", "config", "createdAt", "endedAt", "error", "experimentId", "id", "keyRoles", "lastLogAt", "lastLoss", "lifecycle", "name", "paramCount", "restarts", "source", "startedAt", "status", "step", "token", "tokensPerSec", "totalSteps", "userName", "warning", "workerExit", "workerId", "workerLeaseUntil" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_workerId_idx" ON "Run"("workerId");
CREATE INDEX "Run_experimentId_idx" ON "Run"("experimentId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

