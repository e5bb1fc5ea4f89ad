-- AlterTable
ALTER TABLE "Event" ADD COLUMN "toAssignee" TEXT;
ALTER TABLE "Event" ADD COLUMN "toDeadline" TEXT;
ALTER TABLE "Event" ADD COLUMN "toStatus" TEXT;
ALTER TABLE "Event" ADD COLUMN "toUnit" TEXT;

-- AlterTable
ALTER TABLE "Item" ADD COLUMN "queryCodeHash" TEXT;

-- CreateTable
CREATE TABLE "SendLog" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "target" TEXT NOT NULL,
    "at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Circular" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "month" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "reason" TEXT,
    "publishedAt" DATETIME NOT NULL,
    "publishedBy" TEXT
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Outbox" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "targetKind" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "text" TEXT,
    "filePath" TEXT,
    "mentions" TEXT NOT NULL DEFAULT '[]',
    "dispatchKey" TEXT,
    "ephemeral" BOOLEAN NOT NULL DEFAULT false,
    "sealed" BOOLEAN NOT NULL DEFAULT false,
    "direct" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "notBefore" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "sentAt" DATETIME,
    "error" TEXT
);
INSERT INTO "new_Outbox" ("attempts", "createdAt", "dispatchKey", "ephemeral", "error", "filePath", "id", "mentions", "notBefore", "sentAt", "status", "targetId", "targetKind", "text") SELECT "attempts", "createdAt", "dispatchKey", "ephemeral", "error", "filePath", "id", "mentions", "notBefore", "sentAt", "status", "targetId", "targetKind", "text" FROM "Outbox";
DROP TABLE "Outbox";
ALTER TABLE "new_Outbox" RENAME TO "Outbox";
CREATE UNIQUE INDEX "Outbox_dispatchKey_key" ON "Outbox"("dispatchKey");
CREATE INDEX "Outbox_status_id_idx" ON "Outbox"("status", "id");
CREATE TABLE "new_Room" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "topic" TEXT NOT NULL,
    "unitName" TEXT,
    "circular" BOOLEAN NOT NULL DEFAULT false,
    "circularFull" BOOLEAN NOT NULL DEFAULT false,
    "boundById" TEXT,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Room" ("boundById", "circular", "id", "topic", "unitName", "updatedAt") SELECT "boundById", "circular", "id", "topic", "unitName", "updatedAt" FROM "Room";
DROP TABLE "Room";
ALTER TABLE "new_Room" RENAME TO "Room";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "SendLog_target_at_idx" ON "SendLog"("target", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Circular_month_seq_key" ON "Circular"("month", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "Item_queryCodeHash_key" ON "Item"("queryCodeHash");
