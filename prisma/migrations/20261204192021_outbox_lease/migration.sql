-- AlterTable
ALTER TABLE "Outbox" ADD COLUMN "claimedAt" DATETIME;
ALTER TABLE "Outbox" ADD COLUMN "claimedBy" TEXT;
