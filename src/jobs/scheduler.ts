// Runs the jobs that are due at `now`. A job reads from a snapshot of the read connection (no write lock
// while it builds), then its JobRun row is written in one short transaction with its outbox rows (a second instance, or a restart, finds it and skips), and
// every outbox row carries a unique dispatch key (target, kind, period) besides.
// Catch-up: a run missed while the bot was down is made up once when the bot is back the same day (and
// outside quiet hours); older missed runs are not replayed: the next run covers them (reminders and
// digests are computed from the current state).
import type { Config } from "../config/schema.ts";
import { isUniqueViolation, snapshot, type Db } from "../db/client.ts";
import { insertOutgoing } from "../core/outbox.ts";
import type { Calendar } from "../domain/calendar.ts";
import type { Org } from "../domain/org.ts";
import { errText } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { circularJob, circularReviewJob } from "./circular.ts";
import { digestJob } from "./digest.ts";
import { phasesJob } from "./phases.ts";
import { remindersJob } from "./reminders.ts";
import type { Job } from "./types.ts";

export const JOBS: readonly Job[] = [phasesJob, remindersJob, digestJob, circularJob, circularReviewJob];

/** How far ahead nextWakeup looks for a slot (a campaign has a run at least every few weeks). */
const LOOKAHEAD_DAYS = 62;

export class Scheduler {
  private readonly done = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly read: Db,
    private readonly cfg: Config,
    private readonly org: Org,
    private readonly cal: Calendar,
    private readonly log: Logger,
    private readonly filesDir: string,
    private readonly jobs: readonly Job[] = JOBS,
  ) {}

  /** Run every job whose slot today is at or before `now` and has not run yet. Returns messages queued. */
  async runDue(now: Date): Promise<number> {
    if (this.cal.inQuiet(now, this.cfg.reminders.quiet)) return 0;
    const today = this.cal.today(now);
    let queued = 0;
    for (const job of this.jobs) {
      for (const slot of job.slotsOn(today, this.cfg, this.cal)) {
        if (slot.at.getTime() > now.getTime()) continue;
        const id = `${job.name}|${slot.period}`;
        if (this.done.has(id)) continue;
        try {
          if (await this.db.jobRun.findUnique({ where: { job_period: { job: job.name, period: slot.period } } })) {
            this.done.add(id);
            continue;
          }
          // built from a snapshot on the read connection: commands are answered meanwhile
          const plan = await snapshot(this.read, (read) => job.build({ read, cfg: this.cfg, org: this.org, cal: this.cal, now, today, filesDir: this.filesDir }, slot.period));
          // then written at once: the JobRun row (a second instance that built the same run fails here),
          // the outbox rows and whatever else the run records
          await this.db.$transaction(
            async (tx) => {
              await tx.jobRun.create({ data: { job: job.name, period: slot.period, at: now } });
              await insertOutgoing(tx, plan.rows, now);
              await plan.write?.(tx);
            },
            { timeout: 60_000, maxWait: 150_000 },
          );
          this.done.add(id);
          queued += plan.rows.length;
          this.log.info("job.run", { job: job.name, period: slot.period, messages: plan.rows.length });
        } catch (e) {
          if (isUniqueViolation(e)) {
            this.done.add(id); // another instance ran it
            continue;
          }
          this.log.error("job.failed", { job: job.name, period: slot.period, error: errText(e) });
        }
      }
    }
    return queued;
  }

  /** The next slot strictly after `now` (for the virtual clock and for sleeping), or null. */
  nextSlot(now: Date): Date | null {
    const today = this.cal.today(now);
    for (let i = 0; i <= LOOKAHEAD_DAYS; i++) {
      const day = this.cal.addDays(today, i);
      const next = this.jobs
        .flatMap((j) => j.slotsOn(day, this.cfg, this.cal))
        .map((s) => s.at)
        .filter((at) => at.getTime() > now.getTime())
        .sort((a, b) => a.getTime() - b.getTime())[0];
      if (next) return next;
    }
    return null;
  }
}
