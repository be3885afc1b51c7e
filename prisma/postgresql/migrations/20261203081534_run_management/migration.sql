-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "archived" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "labels" TEXT NOT NULL DEFAULT '[]',
ADD COLUMN     "notes" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "project" TEXT,
ADD COLUMN     "starred" BOOLEAN NOT NULL DEFAULT false;

