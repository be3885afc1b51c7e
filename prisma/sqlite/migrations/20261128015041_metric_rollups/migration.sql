-- CreateTable
CREATE TABLE "MetricRollup" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "bucket" INTEGER NOT NULL,
    "firstStep" INTEGER NOT NULL,
    "lastStep" INTEGER NOT NULL,
    "min" REAL,
    "max" REAL,
    "last" REAL,
    "lastWallTime" REAL NOT NULL,
    "count" INTEGER NOT NULL,
    "nanCount" INTEGER NOT NULL,

    PRIMARY KEY ("runId", "width", "key", "bucket")
);


-- Backfill: roll up the points already stored, finest width from Metric, each wider one from the one below.
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 4, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", m."value", m."wallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "step" / 4 AS "bucket", MIN("step") AS "firstStep", MAX("step") AS "lastStep",
        MIN("value") AS "min", MAX("value") AS "max", COUNT(*) AS "count", COUNT(*) - COUNT("value") AS "nanCount"
      FROM "Metric" GROUP BY "runId", "key", "step" / 4) g
JOIN "Metric" m ON m."runId" = g."runId" AND m."key" = g."key" AND m."step" = g."lastStep";
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 16, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "bucket" / 4 AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
        MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
      FROM "MetricRollup" WHERE "width" = 4 GROUP BY "runId", "key", "bucket" / 4) g
JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = 4 AND c."key" = g."key" AND c."bucket" = g."lastStep" / 4;
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 64, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "bucket" / 4 AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
        MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
      FROM "MetricRollup" WHERE "width" = 16 GROUP BY "runId", "key", "bucket" / 4) g
JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = 16 AND c."key" = g."key" AND c."bucket" = g."lastStep" / 16;
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 256, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "bucket" / 4 AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
        MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
      FROM "MetricRollup" WHERE "width" = 64 GROUP BY "runId", "key", "bucket" / 4) g
JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = 64 AND c."key" = g."key" AND c."bucket" = g."lastStep" / 64;
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 1024, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "bucket" / 4 AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
        MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
      FROM "MetricRollup" WHERE "width" = 256 GROUP BY "runId", "key", "bucket" / 4) g
JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = 256 AND c."key" = g."key" AND c."bucket" = g."lastStep" / 256;
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 4096, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "bucket" / 4 AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
        MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
      FROM "MetricRollup" WHERE "width" = 1024 GROUP BY "runId", "key", "bucket" / 4) g
JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = 1024 AND c."key" = g."key" AND c."bucket" = g."lastStep" / 1024;
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 16384, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "bucket" / 4 AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
        MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
      FROM "MetricRollup" WHERE "width" = 4096 GROUP BY "runId", "key", "bucket" / 4) g
JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = 4096 AND c."key" = g."key" AND c."bucket" = g."lastStep" / 4096;
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 65536, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "bucket" / 4 AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
        MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
      FROM "MetricRollup" WHERE "width" = 16384 GROUP BY "runId", "key", "bucket" / 4) g
JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = 16384 AND c."key" = g."key" AND c."bucket" = g."lastStep" / 16384;
INSERT INTO "MetricRollup" ("runId", "width", "key", "bucket", "firstStep", "lastStep", "min", "max", "last", "lastWallTime", "count", "nanCount")
SELECT g."runId", 262144, g."key", g."bucket", g."firstStep", g."lastStep", g."min", g."max", c."last", c."lastWallTime", g."count", g."nanCount"
FROM (SELECT "runId", "key", "bucket" / 4 AS "bucket", MIN("firstStep") AS "firstStep", MAX("lastStep") AS "lastStep",
        MIN("min") AS "min", MAX("max") AS "max", SUM("count") AS "count", SUM("nanCount") AS "nanCount"
      FROM "MetricRollup" WHERE "width" = 65536 GROUP BY "runId", "key", "bucket" / 4) g
JOIN "MetricRollup" c ON c."runId" = g."runId" AND c."width" = 65536 AND c."key" = g."key" AND c."bucket" = g."lastStep" / 65536;
