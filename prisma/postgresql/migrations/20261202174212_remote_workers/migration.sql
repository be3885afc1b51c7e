-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "workerExit" TEXT,
ADD COLUMN     "workerId" TEXT,
ADD COLUMN     "workerLeaseUntil" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Worker" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "info" TEXT NOT NULL,
    "queues" TEXT NOT NULL,
    "maxRuns" INTEGER NOT NULL,
    "keyId" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL,
    "leftAt" TIMESTAMP(3),

    CONSTRAINT "Worker_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Worker_heartbeatAt_idx" ON "Worker"("heartbeatAt");

-- CreateIndex
CREATE INDEX "Run_workerId_idx" ON "Run"("workerId");

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_workerId_fkey" FOREIGN KEY ("workerId") REFERENCES "Worker"("id") ON DELETE SET NULL ON UPDATE CASCADE;

