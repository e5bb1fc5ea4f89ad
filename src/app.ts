// Wires one running Duban: database, roster, pipeline, sender. The transport and the clock come from
// outside (Wechaty service or mock; system or virtual clock), so production, tests and replay run the
// same code.
import path from "node:path";
import { commands } from "../commands/index.ts";
import type { Config } from "./config/schema.ts";
import type { Clock } from "./core/clock.ts";
import type { Logger } from "./core/log.ts";
import { Pipeline, type InboundMessage, type Outcome } from "./core/pipeline.ts";
import { Registry } from "./core/registry.ts";
import { Sender, type Transport } from "./core/sender.ts";
import { openDatabase, type Db, type Tx } from "./db/client.ts";
import { Calendar } from "./domain/calendar.ts";
import { Org } from "./domain/org.ts";
import { Scheduler } from "./jobs/scheduler.ts";

export interface AppOptions {
  cfg: Config;
  databaseUrl: string;
  clock: Clock;
  transport: Transport;
  log: Logger;
  selfId: () => string;
  botNames: () => string[];
  evidenceDir: string;
  /** where exports (ledger, charts) are written; default next to the evidence: data/exports */
  filesDir?: string;
  beforeCommit?: (tx: Tx) => Promise<void>;
}

export class App {
  private constructor(
    readonly db: Db,
    readonly cfg: Config,
    readonly org: Org,
    readonly cal: Calendar,
    readonly pipeline: Pipeline,
    readonly sender: Sender,
    readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  static async open(o: AppOptions): Promise<App> {
    const { db, applied } = await openDatabase(o.databaseUrl);
    if (applied.length) o.log.info("db.migrated", { applied });
    const org = new Org(o.cfg);
    const filesDir = o.filesDir ?? path.join(path.dirname(o.evidenceDir), "exports");
    const cal = new Calendar(o.cfg.timezone, o.cfg.calendar);
    await syncRoster(db, o.cfg);
    const pipeline = new Pipeline({
      db,
      cfg: o.cfg,
      org,
      cal,
      clock: o.clock,
      registry: new Registry(commands),
      log: o.log,
      selfId: o.selfId,
      botNames: o.botNames,
      evidenceDir: o.evidenceDir,
      filesDir,
      beforeCommit: o.beforeCommit,
    });
    const sender = new Sender(db, o.transport, o.clock, o.log);
    await sender.recover();
    const scheduler = new Scheduler(db, o.cfg, org, cal, o.log, filesDir);
    return new App(db, o.cfg, org, cal, pipeline, sender, scheduler, o.clock, o.log);
  }

  /** One incoming message, then whatever became due to send. */
  async handle(msg: InboundMessage): Promise<Outcome> {
    let outcome: Outcome;
    try {
      outcome = await this.pipeline.handle(msg);
    } catch (e) {
      this.log.error("pipeline.failed", { error: String((e as Error)?.stack ?? e) });
      throw e;
    }
    await this.sender.drain();
    return outcome;
  }

  /** Time-driven work at the clock's now: the jobs that are due, then everything due in the outbox. */
  async tick(): Promise<void> {
    await this.scheduler.runDue(this.clock.now());
    await this.sender.drain();
  }

  /** The next instant after now at which tick() has something to do, or null. */
  async nextWakeup(): Promise<Date | null> {
    const now = this.clock.now();
    const [send, job] = [await this.sender.nextWakeup(), this.scheduler.nextSlot(now)];
    const due = [send, job].filter((d): d is Date => !!d && d.getTime() > now.getTime());
    return due.sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  }

  async noteRooms(rooms: { id: string; topic: string }[], now: Date): Promise<void> {
    for (const r of rooms) await this.pipeline.noteRoom(r.id, r.topic, now);
  }

  async close(): Promise<void> {
    await this.db.$disconnect();
  }
}

/** The config is the roster's source of truth; the database mirrors it for queries and reports. */
async function syncRoster(db: Db, cfg: Config): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.unit.deleteMany({ where: { name: { notIn: cfg.units.map((u) => u.name) } } });
    await tx.member.deleteMany({ where: { id: { notIn: cfg.members.map((m) => m.id) } } });
    for (const u of cfg.units) {
      const data = { kind: u.kind, headId: u.head ?? null, leaderId: u.leader ?? null };
      await tx.unit.upsert({ where: { name: u.name }, create: { name: u.name, ...data }, update: data });
    }
    for (const m of cfg.members) {
      const data = { name: m.name, unitName: m.unit ?? null, roles: m.roles.join(",") };
      await tx.member.upsert({ where: { id: m.id }, create: { id: m.id, ...data }, update: data });
    }
  });
}
