-- AlterTable
ALTER TABLE "Alert" ADD COLUMN "dedupKey" TEXT;

-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN "claimedBy" TEXT;
ALTER TABLE "WebhookDelivery" ADD COLUMN "claimedUntil" DATETIME;

-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RunLease" (
    "runId" TEXT NOT NULL PRIMARY KEY,
    "owner" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "acquiredAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "takeovers" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "RunLease_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "RunLease_expiresAt_idx" ON "RunLease"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_runId_dedupKey_key" ON "Alert"("runId", "dedupKey");

-- CreateIndex
CREATE INDEX "WebhookDelivery_status_claimedUntil_idx" ON "WebhookDelivery"("status", "claimedUntil");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_webhookId_alertId_key" ON "WebhookDelivery"("webhookId", "alertId");

