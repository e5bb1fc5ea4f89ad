-- CreateTable
CREATE TABLE "Unit" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "headId" TEXT,
    "leaderId" TEXT
);

-- CreateTable
CREATE TABLE "Member" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "unitName" TEXT,
    "roles" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Room" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "topic" TEXT NOT NULL,
    "unitName" TEXT,
    "circular" BOOLEAN NOT NULL DEFAULT false,
    "boundById" TEXT,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Item" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "campaign" TEXT NOT NULL,
    "no" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "category" TEXT,
    "unitName" TEXT,
    "assigneeId" TEXT,
    "reporterId" TEXT,
    "anonymous" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL,
    "deadline" TEXT,
    "measures" TEXT,
    "longTerm" BOOLEAN NOT NULL DEFAULT false,
    "plan" TEXT,
    "submitterId" TEXT,
    "sourceRoomId" TEXT,
    "createdAt" DATETIME NOT NULL,
    "closedAt" DATETIME
);

-- CreateTable
CREATE TABLE "Event" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "itemId" INTEGER NOT NULL,
    "at" DATETIME NOT NULL,
    "actorId" TEXT,
    "kind" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '',
    "chatId" TEXT,
    "messageKey" TEXT,
    CONSTRAINT "Event_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Evidence" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "itemId" INTEGER NOT NULL,
    "eventId" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "fromId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    CONSTRAINT "Evidence_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Milestone" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "itemId" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "deadline" TEXT NOT NULL,
    "done" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "Milestone_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ExtensionRequest" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "itemId" INTEGER NOT NULL,
    "requesterId" TEXT NOT NULL,
    "newDeadline" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "decidedById" TEXT,
    "answer" TEXT,
    "at" DATETIME NOT NULL,
    "decidedAt" DATETIME,
    CONSTRAINT "ExtensionRequest_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ProcessedMessage" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Outbox" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "targetKind" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "text" TEXT,
    "filePath" TEXT,
    "mentions" TEXT NOT NULL DEFAULT '[]',
    "dispatchKey" TEXT,
    "ephemeral" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "notBefore" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "sentAt" DATETIME,
    "error" TEXT
);

-- CreateIndex
CREATE INDEX "Item_status_idx" ON "Item"("status");

-- CreateIndex
CREATE INDEX "Item_unitName_idx" ON "Item"("unitName");

-- CreateIndex
CREATE INDEX "Item_assigneeId_idx" ON "Item"("assigneeId");

-- CreateIndex
CREATE UNIQUE INDEX "Item_campaign_no_key" ON "Item"("campaign", "no");

-- CreateIndex
CREATE INDEX "Event_itemId_idx" ON "Event"("itemId");

-- CreateIndex
CREATE INDEX "Event_actorId_kind_at_idx" ON "Event"("actorId", "kind", "at");

-- CreateIndex
CREATE INDEX "ExtensionRequest_itemId_status_idx" ON "ExtensionRequest"("itemId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Outbox_dispatchKey_key" ON "Outbox"("dispatchKey");

-- CreateIndex
CREATE INDEX "Outbox_status_id_idx" ON "Outbox"("status", "id");
