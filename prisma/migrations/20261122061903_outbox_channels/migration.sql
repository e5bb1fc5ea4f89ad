-- AlterTable
ALTER TABLE "Outbox" ADD COLUMN "account" TEXT;
ALTER TABLE "Outbox" ADD COLUMN "channel" TEXT;
ALTER TABLE "Outbox" ADD COLUMN "replyHandle" TEXT;
