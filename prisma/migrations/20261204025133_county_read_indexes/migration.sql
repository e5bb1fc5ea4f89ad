-- DropIndex
DROP INDEX "Item_campaign_deadline_idx";

-- CreateIndex
CREATE INDEX "Item_campaign_unitName_status_deadline_closedAt_idx" ON "Item"("campaign", "unitName", "status", "deadline", "closedAt");

-- CreateIndex
CREATE INDEX "Item_campaign_deadline_status_idx" ON "Item"("campaign", "deadline", "status");

-- CreateIndex
CREATE INDEX "Item_reporterId_idx" ON "Item"("reporterId");
