// Scheduled work is a function of (now, database): each job says when it is due on a given local day
// and what it sends then. node-cron (production) and the virtual clock (replay, tests) only decide when
// to ask.
import type { Config } from "../config/schema.ts";
import type { Tx } from "../db/client.ts";
import type { Outgoing } from "../core/outbox.ts";
import type { Calendar, Ymd } from "../domain/calendar.ts";
import type { Org } from "../domain/org.ts";

export interface Slot {
  at: Date;
  /** what the run is for: a day, a week, a month, a phase event */
  period: string;
}

export interface JobCtx {
  /** a consistent snapshot on the read-only connection: a job reads here and never holds the write lock */
  read: Tx;
  cfg: Config;
  org: Org;
  cal: Calendar;
  now: Date;
  today: Ymd;
  /** where generated files (ledger, charts) are written */
  filesDir: string;
}

/** What a run writes, in one short transaction with its JobRun row (so all of it happens once). */
export interface JobPlan {
  rows: Outgoing[];
  /** anything else the run records (e.g. a published circular) */
  write?: (tx: Tx) => Promise<void>;
}

export interface Job {
  name: string;
  /** the job's runs on local day `ymd` (usually none or one) */
  slotsOn(ymd: Ymd, cfg: Config, cal: Calendar): Slot[];
  /** read what the run needs (from the snapshot) and say what it writes */
  build(j: JobCtx, period: string): Promise<JobPlan>;
}
