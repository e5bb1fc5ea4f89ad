-- DropIndex
DROP INDEX "Event_itemId_idx";

-- CreateIndex
CREATE INDEX "Event_itemId_at_id_idx" ON "Event"("itemId", "at", "id");
