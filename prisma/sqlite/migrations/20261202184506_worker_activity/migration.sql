-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Worker" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "info" TEXT NOT NULL,
    "queues" TEXT NOT NULL,
    "maxRuns" INTEGER NOT NULL,
    "keyId" TEXT,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL,
    "leftAt" DATETIME,
    "activity" TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO "new_Worker" ("heartbeatAt", "host", "id", "info", "keyId", "leftAt", "maxRuns", "name", "queues", "startedAt") SELECT "heartbeatAt", "host", "id", "info", "keyId", "leftAt", "maxRuns", "name", "queues", "startedAt" FROM "Worker";
DROP TABLE "Worker";
ALTER TABLE "new_Worker" RENAME TO "Worker";
CREATE INDEX "Worker_heartbeatAt_idx" ON "Worker"("heartbeatAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

