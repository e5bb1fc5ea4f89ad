-- CreateTable
CREATE TABLE "Unit" (
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "headId" TEXT,
    "leaderId" TEXT,

    CONSTRAINT "Unit_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "Member" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "unitName" TEXT,
    "roles" TEXT NOT NULL,

    CONSTRAINT "Member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Room" (
    "id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "unitName" TEXT,
    "circular" BOOLEAN NOT NULL DEFAULT false,
    "circularFull" BOOLEAN NOT NULL DEFAULT false,
    "boundById" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Room_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Item" (
    "id" SERIAL NOT NULL,
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
    "queryCodeHash" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "closedAt" TIMESTAMP(3),

    CONSTRAINT "Item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" SERIAL NOT NULL,
    "itemId" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "actorId" TEXT,
    "kind" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '',
    "chatId" TEXT,
    "messageKey" TEXT,
    "toStatus" TEXT,
    "toUnit" TEXT,
    "toAssignee" TEXT,
    "toDeadline" TEXT,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Evidence" (
    "id" SERIAL NOT NULL,
    "itemId" INTEGER NOT NULL,
    "eventId" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "fromId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Evidence_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Milestone" (
    "id" SERIAL NOT NULL,
    "itemId" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "deadline" TEXT NOT NULL,
    "done" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "Milestone_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExtensionRequest" (
    "id" SERIAL NOT NULL,
    "itemId" INTEGER NOT NULL,
    "requesterId" TEXT NOT NULL,
    "newDeadline" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "decidedById" TEXT,
    "answer" TEXT,
    "at" TIMESTAMP(3) NOT NULL,
    "decidedAt" TIMESTAMP(3),

    CONSTRAINT "ExtensionRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProcessedMessage" (
    "key" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProcessedMessage_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "Outbox" (
    "id" SERIAL NOT NULL,
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
    "notBefore" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "sentAt" TIMESTAMP(3),
    "error" TEXT,
    "channel" TEXT,
    "account" TEXT,
    "replyHandle" TEXT,
    "claimedBy" TEXT,
    "claimedAt" TIMESTAMP(3),

    CONSTRAINT "Outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JobRun" (
    "job" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "JobRun_pkey" PRIMARY KEY ("job","period")
);

-- CreateTable
CREATE TABLE "SendLog" (
    "id" SERIAL NOT NULL,
    "target" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SendLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Circular" (
    "id" SERIAL NOT NULL,
    "month" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "reason" TEXT,
    "publishedAt" TIMESTAMP(3) NOT NULL,
    "publishedBy" TEXT,

    CONSTRAINT "Circular_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebToken" (
    "hash" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "WebToken_pkey" PRIMARY KEY ("hash")
);

-- CreateTable
CREATE TABLE "WebSession" (
    "hash" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "WebSession_pkey" PRIMARY KEY ("hash")
);

-- CreateIndex
CREATE UNIQUE INDEX "Item_queryCodeHash_key" ON "Item"("queryCodeHash");

-- CreateIndex
CREATE INDEX "Item_status_idx" ON "Item"("status");

-- CreateIndex
CREATE INDEX "Item_campaign_unitName_no_idx" ON "Item"("campaign", "unitName", "no");

-- CreateIndex
CREATE INDEX "Item_campaign_unitName_status_deadline_closedAt_idx" ON "Item"("campaign", "unitName", "status", "deadline", "closedAt");

-- CreateIndex
CREATE INDEX "Item_campaign_deadline_status_idx" ON "Item"("campaign", "deadline", "status");

-- CreateIndex
CREATE INDEX "Item_assigneeId_idx" ON "Item"("assigneeId");

-- CreateIndex
CREATE INDEX "Item_reporterId_idx" ON "Item"("reporterId");

-- CreateIndex
CREATE UNIQUE INDEX "Item_campaign_no_key" ON "Item"("campaign", "no");

-- CreateIndex
CREATE INDEX "Event_itemId_at_id_idx" ON "Event"("itemId", "at", "id");

-- CreateIndex
CREATE INDEX "Event_actorId_kind_at_idx" ON "Event"("actorId", "kind", "at");

-- CreateIndex
CREATE INDEX "ExtensionRequest_itemId_status_idx" ON "ExtensionRequest"("itemId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Outbox_dispatchKey_key" ON "Outbox"("dispatchKey");

-- CreateIndex
CREATE INDEX "Outbox_status_id_idx" ON "Outbox"("status", "id");

-- CreateIndex
CREATE INDEX "SendLog_target_at_idx" ON "SendLog"("target", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Circular_month_seq_key" ON "Circular"("month", "seq");

-- AddForeignKey
ALTER TABLE "Event" ADD CONSTRAINT "Event_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Evidence" ADD CONSTRAINT "Evidence_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Milestone" ADD CONSTRAINT "Milestone_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExtensionRequest" ADD CONSTRAINT "ExtensionRequest_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
