-- AlterTable
ALTER TABLE "Alert" ADD COLUMN     "dedupKey" TEXT;

-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN     "claimedBy" TEXT,
ADD COLUMN     "claimedUntil" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Instance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunLease" (
    "runId" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "acquiredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "takeovers" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "RunLease_pkey" PRIMARY KEY ("runId")
);

-- CreateIndex
CREATE INDEX "RunLease_expiresAt_idx" ON "RunLease"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_runId_dedupKey_key" ON "Alert"("runId", "dedupKey");

-- CreateIndex
CREATE INDEX "WebhookDelivery_status_claimedUntil_idx" ON "WebhookDelivery"("status", "claimedUntil");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_webhookId_alertId_key" ON "WebhookDelivery"("webhookId", "alertId");

-- AddForeignKey
ALTER TABLE "RunLease" ADD CONSTRAINT "RunLease_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

