-- CreateTable
CREATE TABLE "EvalSet" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "task" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "examples" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "EvalPrediction" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "runId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "task" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "prediction" INTEGER NOT NULL,
    "gold" INTEGER NOT NULL,
    "correct" BOOLEAN NOT NULL,
    "ll" TEXT NOT NULL,
    "synthetic" BOOLEAN NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "EvalSet_path_key" ON "EvalSet"("path");

-- CreateIndex
CREATE INDEX "EvalPrediction_runId_task_step_idx" ON "EvalPrediction"("runId", "task", "step");

-- CreateIndex
CREATE UNIQUE INDEX "EvalPrediction_runId_step_task_index_key" ON "EvalPrediction"("runId", "step", "task", "index");

