-- CreateTable
CREATE TABLE "Worker" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "info" TEXT NOT NULL,
    "queues" TEXT NOT NULL,
    "maxRuns" INTEGER NOT NULL,
    "keyId" TEXT,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL,
    "leftAt" DATETIME
);

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
    CONSTRAINT "Run_workerId_fkey" FOREIGN KEY ("workerId") REFERENCES "Worker" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("backend", "config", "createdAt", "endedAt", "error", "id", "lastLoss", "name", "paramCount", "restarts", "startedAt", "status", "step", "token", "tokensPerSec", "totalSteps", "warning") SELECT "backend", "config", "createdAt", "endedAt", "error", "id", "lastLoss", "name", "paramCount", "restarts", "startedAt", "status", "step", "token", "tokensPerSec", "totalSteps", "warning" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_workerId_idx" ON "Run"("workerId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Worker_heartbeatAt_idx" ON "Worker"("heartbeatAt");

