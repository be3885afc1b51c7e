-- Metric is keyed by (runId, key, step) itself: the autoincrement id goes (a long run would
-- overflow it) and the unique index becomes the primary key. The table is rebuilt, rows kept.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Metric" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "value" REAL,
    "wallTime" REAL NOT NULL,

    PRIMARY KEY ("runId", "key", "step"),
    CONSTRAINT "Metric_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Metric" ("key", "runId", "step", "value", "wallTime") SELECT "key", "runId", "step", "value", "wallTime" FROM "Metric";
DROP TABLE "Metric";
ALTER TABLE "new_Metric" RENAME TO "Metric";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

