-- AlterTable
ALTER TABLE "Outbox" ADD COLUMN     "claimedAt" TIMESTAMP(3),
ADD COLUMN     "claimedBy" TEXT;
