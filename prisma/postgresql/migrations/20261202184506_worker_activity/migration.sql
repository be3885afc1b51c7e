-- AlterTable
ALTER TABLE "Worker" ADD COLUMN     "activity" TEXT NOT NULL DEFAULT '[]';

