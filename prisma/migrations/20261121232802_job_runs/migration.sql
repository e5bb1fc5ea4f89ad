-- CreateTable
CREATE TABLE "JobRun" (
    "job" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "at" DATETIME NOT NULL,

    PRIMARY KEY ("job", "period")
);
