-- CreateTable
CREATE TABLE "Experiment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "artifactLocation" TEXT NOT NULL,
    "lifecycle" TEXT NOT NULL DEFAULT 'active',
    "tags" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RunParam" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    PRIMARY KEY ("runId", "key"),
    CONSTRAINT "RunParam_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RunTag" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    PRIMARY KEY ("runId", "key"),
    CONSTRAINT "RunTag_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "MetricName" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,

    PRIMARY KEY ("runId", "key"),
    CONSTRAINT "MetricName_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
    "source" TEXT NOT NULL DEFAULT 'trainer',
    "experimentId" INTEGER,
    "lifecycle" TEXT NOT NULL DEFAULT 'active',
    "keyRoles" TEXT NOT NULL DEFAULT '{}',
    "userName" TEXT,
    "lastLogAt" DATETIME,
    CONSTRAINT "Run_workerId_fkey" FOREIGN KEY ("workerId") REFERENCES "Worker" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Run_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("backend", "config", "createdAt", "endedAt", "error", "id", "lastLoss", "name", "paramCount", "restarts", "startedAt", "status", "step", "token", "tokensPerSec", "totalSteps", "warning", "workerExit", "workerId", "workerLeaseUntil") SELECT "backend", "config", "createdAt", "endedAt", "error", "id", "lastLoss", "name", "paramCount", "restarts", "startedAt", "status", "step", "token", "tokensPerSec", "totalSteps", "warning", "workerExit", "workerId", "workerLeaseUntil" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_workerId_idx" ON "Run"("workerId");
CREATE INDEX "Run_experimentId_idx" ON "Run"("experimentId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Experiment_name_key" ON "Experiment"("name");

-- CreateIndex
CREATE UNIQUE INDEX "MetricName_runId_name_key" ON "MetricName"("runId", "name");

