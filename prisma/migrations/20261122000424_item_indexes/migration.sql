-- DropIndex
DROP INDEX "Item_unitName_idx";

-- CreateIndex
CREATE INDEX "Item_campaign_unitName_no_idx" ON "Item"("campaign", "unitName", "no");

-- CreateIndex
CREATE INDEX "Item_campaign_deadline_idx" ON "Item"("campaign", "deadline");
