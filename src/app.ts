// Wires one running Duban: database, roster, pipeline, sender, and starts its channels. The channels and
// the clock come from outside (Wechaty, the WeCom channels or the mock chat; system or virtual clock), so
// production, the playground, the replay harness and the tests run the same code.
import path from "node:path";
import { commands } from "../commands/index.ts";
import { ConfigError } from "./config/load.ts";
import { configuredRoomId, type Config } from "./config/schema.ts";
import type { Clock } from "./core/clock.ts";
import { errText } from "./core/errors.ts";
import type { Logger } from "./core/log.ts";
import { clearStaleStaging, Pipeline, type InboundMessage, type Outcome } from "./core/pipeline.ts";
import { Registry } from "./core/registry.ts";
import type { Channel, Inbound } from "./core/ports.ts";
import { Sender } from "./core/sender.ts";
import { withTimeout } from "./core/timeout.ts";
import { checkpoint, openDatabase, optimize, WRITE_TX, type Db, type Tx } from "./db/client.ts";
import { Calendar } from "./domain/calendar.ts";
import { Org } from "./domain/org.ts";
import { Scheduler } from "./jobs/scheduler.ts";

export interface AppOptions {
  cfg: Config;
  databaseUrl: string;
  clock: Clock;
  /** the channels, in the order the outbox tries them (SPEC §8) */
  channels: Channel[];
  log: Logger;
  evidenceDir: string;
  /** where exports (ledger, charts) are written; default next to the evidence: data/exports */
  filesDir?: string;
  beforeCommit?: (tx: Tx) => Promise<void>;
}

/** One running Duban with its channels started (SPEC §8): the one way production, console, replay and tests open it. */
export function createDuban(o: AppOptions): Promise<App> {
  return App.open(o);
}

export class App {
  private optimizedAt = Date.now();
  private constructor(
    readonly db: Db,
    /** the read-only connection (reports read snapshots of it) */
    readonly read: Db,
    readonly cfg: Config,
    readonly org: Org,
    readonly cal: Calendar,
    readonly pipeline: Pipeline,
    readonly sender: Sender,
    readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** the channels started by open() (stopped by close()), as the sender sees them */
    private readonly started: Channel[] = [],
  ) {}

  static async open(o: AppOptions): Promise<App> {
    // a channel that failed to start reaches nothing: its rows go to the next channel that reaches them
    const failed = new Set<Channel>();
    const channels = o.channels.map((ch) => guarded(ch, failed));
    const { db, read, applied } = await openDatabase(o.databaseUrl);
    if (applied.length) o.log.info("db.migrated", { applied });
    const org = new Org(o.cfg);
    const filesDir = o.filesDir ?? path.join(path.dirname(o.evidenceDir), "exports");
    const cal = new Calendar(o.cfg.timezone, o.cfg.calendar);
    try {
      await syncRoster(db, o.cfg, o.log);
    } catch (e) {
      await read.$disconnect();
      await db.$disconnect();
      throw e;
    }
    clearStaleStaging(o.evidenceDir);
    const pipeline = new Pipeline({
      db,
      read,
      cfg: o.cfg,
      org,
      cal,
      clock: o.clock,
      registry: new Registry(commands),
      log: o.log,
      // what the bot is called in a chat (`@督办助手 /上报 …`): every channel's names for it
      botNames: () => [...new Set(channels.flatMap((c) => c.botNames?.() ?? []))],
      evidenceDir: o.evidenceDir,
      filesDir,
      beforeCommit: o.beforeCommit,
    });
    const office = org.offices().map((m) => m.id);
    const sender = new Sender(db, channels, o.clock, o.log, { quiet: o.cfg.reminders.quiet, cal, office: () => office });
    await sender.recover();
    // groups the config gives an id (a chatid, or a 群机器人 only): known from the start, bound by name
    const configured = o.cfg.rooms.flatMap((r) => {
      const id = configuredRoomId(r);
      return id ? [{ id, topic: r.name }] : [];
    });
    for (const r of configured) await pipeline.noteRoom(r.id, r.topic, o.clock.now());
    const scheduler = new Scheduler(db, read, o.cfg, org, cal, o.log, filesDir);
    const app = new App(db, read, o.cfg, org, cal, pipeline, sender, scheduler, o.clock, o.log, channels);
    // every channel's inbound messages go to the pipeline (SPEC §8); a channel that cannot start is
    // logged, counts as reaching nothing, and the others go on
    for (const ch of o.channels) {
      const deliver = async (m: Inbound) => {
        await app.handle(m).catch((e) => {
          o.log.error("message.failed", { channel: ch.name, error: errText(e) });
          throw e;
        });
      };
      await ch.start(deliver).catch((e) => {
        failed.add(ch);
        o.log.error("channel.start_failed", { channel: ch.name, error: errText(e), msg: `通道 ${ch.name} 未能启动，发往它的消息改由其他通道发送（没有能送达的通道时标记失败并告知${o.cfg.office.short}）` });
      });
    }
    return app;
  }

  /** Messages being handled (close() lets them finish). */
  private readonly inflight = new Set<Promise<unknown>>();
  private closing = false;

  /** One incoming message, then whatever became due to send. */
  async handle(msg: InboundMessage): Promise<Outcome> {
    // (while stopping, nothing new is taken: not acknowledged, the message is not claimed either)
    if (this.closing) throw new Error("duban is stopping: message not taken");
    const p = this.handleNow(msg);
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private async handleNow(msg: InboundMessage): Promise<Outcome> {
    let outcome: Outcome;
    try {
      outcome = await this.pipeline.handle(msg);
    } catch (e) {
      this.log.error("pipeline.failed", { error: String((e as Error)?.stack ?? e) });
      await this.sender.drain(); // the failure notice, if one was queued
      throw e;
    }
    await this.sender.drain();
    return outcome;
  }

  /** Time-driven work at the clock's now: the jobs that are due, then everything due in the outbox. */
  async tick(): Promise<void> {
    await this.scheduler.runDue(this.clock.now());
    await this.sender.drain();
    // a failed checkpoint loses nothing (the WAL keeps it all); the next tick tries again
    await checkpoint(this.db).catch((e) => this.log.warn("db.checkpoint_failed", { error: errText(e) }));
    // the planner's statistics follow the data, once an hour (wall time: a replay's clock may jump)
    if (Date.now() - this.optimizedAt > 3600_000) {
      this.optimizedAt = Date.now();
      await optimize(this.db).catch((e) => this.log.warn("db.optimize_failed", { error: errText(e) }));
    }
  }

  /**
   * Move a settable clock (the replay's, the playground's) forward to `t`, running everything due on the
   * way at its own instant, in order — what the system clock does by itself in production.
   */
  async advanceTo(t: Date, clock: { set(d: Date): void }): Promise<void> {
    for (;;) {
      const next = await this.nextWakeup();
      if (!next || next.getTime() > t.getTime()) break;
      clock.set(next);
      await this.tick();
    }
    clock.set(t);
    await this.tick();
  }

  /** The next instant after now at which tick() has something to do, or null. */
  async nextWakeup(): Promise<Date | null> {
    const now = this.clock.now();
    const [send, job] = [await this.sender.nextWakeup(), this.scheduler.nextSlot(now)];
    const due = [send, job].filter((d): d is Date => !!d && d.getTime() > now.getTime());
    return due.sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  }

  /**
   * How this instance is (GET /healthz): the database answers, each channel is connected, and how much
   * waits in the outbox and since when.
   */
  async health(): Promise<{ ok: boolean; database: boolean; channels: { name: string; account: string; ok: boolean }[]; outbox: { waiting: number; oldestSeconds: number | null } }> {
    let database = true;
    let waiting = 0;
    let oldest: Date | null = null;
    try {
      waiting = await this.db.outbox.count({ where: { status: { in: ["pending", "sending"] } } });
      oldest = (await this.db.outbox.findFirst({ where: { status: { in: ["pending", "sending"] } }, orderBy: { id: "asc" }, select: { createdAt: true } }))?.createdAt ?? null;
    } catch {
      database = false;
    }
    const channels = this.started.map((c) => ({ name: c.name, account: c.account(), ok: c.healthy?.() ?? true }));
    const oldestSeconds = oldest ? Math.max(0, Math.round((this.clock.now().getTime() - oldest.getTime()) / 1000)) : null;
    return { ok: database && channels.every((c) => c.ok), database, channels, outbox: { waiting, oldestSeconds } };
  }

  async noteRooms(rooms: { id: string; topic: string }[], now: Date): Promise<void> {
    for (const r of rooms) await this.pipeline.noteRoom(r.id, r.topic, now);
  }

  /**
   * Stop (SIGTERM): take no new message, let the ones being handled finish and their answers go out, send
   * what is due now (within 10 s: sealed anonymous replies only this process can open among it), then
   * stop the channels and close the database. A send still running after that stays "sending" under its
   * lease and becomes "uncertain" (never resent) once the lease runs out.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.inflight]);
    await withTimeout(this.sender.idle(), 10_000, "停止前发送").catch((e) => this.log.warn("duban.stop_sends_unfinished", { error: errText(e) }));
    for (const ch of this.started) await ch.stop().catch((e) => this.log.warn("channel.stop_failed", { channel: ch.name, error: errText(e) }));
    await this.read.$disconnect();
    await this.db.$disconnect();
  }
}

/** The channel as the sender sees it: reaching nothing once it is in `failed`. */
function guarded(ch: Channel, failed: Set<Channel>): Channel {
  return {
    get name() {
      return ch.name;
    },
    get limits() {
      return ch.limits;
    },
    account: () => ch.account(),
    botNames: () => ch.botNames?.() ?? [],
    healthy: () => !failed.has(ch) && (ch.healthy?.() ?? true),
    overhead: ch.overhead ? (t, m) => ch.overhead!(t, m) : undefined,
    start: (d) => ch.start(d),
    canReach: (d) => !failed.has(ch) && ch.canReach(d),
    send: (d) => ch.send(d),
    stop: () => ch.stop(),
  };
}

/**
 * The config is the roster's source of truth; the database mirrors it for queries and reports. Only what
 * changed is written, so a start-up with an unchanged 20,000-member roster costs two reads.
 *
 * A unit renamed in the file (`renamedFrom: [旧名]`) takes its items, their timeline snapshots and its
 * groups along. Items of a unit name the file no longer knows stop the start-up (ConfigError, naming the
 * unit and how many items): never a silent loss. Nothing is changed then.
 */
async function syncRoster(db: Db, cfg: Config, log: Logger): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const u of cfg.units) {
      const old = u.renamedFrom.filter((n) => n !== u.name);
      if (!old.length) continue;
      const moved = await tx.item.updateMany({ where: { unitName: { in: old } }, data: { unitName: u.name } });
      await tx.event.updateMany({ where: { toUnit: { in: old } }, data: { toUnit: u.name } });
      const rooms = await tx.room.updateMany({ where: { unitName: { in: old } }, data: { unitName: u.name } });
      if (moved.count || rooms.count) log.info("unit.renamed", { from: old, to: u.name, items: moved.count, rooms: rooms.count });
    }
    const known = cfg.units.map((u) => u.name);
    const orphans = await tx.item.groupBy({ by: ["unitName"], where: { unitName: { notIn: known, not: null } }, _count: { _all: true } });
    if (orphans.length)
      throw new ConfigError(
        "duban.yaml",
        orphans.map(
          (o) =>
            `数据库中有 ${o._count._all} 个问题属于单位「${o.unitName}」，但配置文件 units 中已没有这个单位。` +
            `如果是改了名，请在新单位下写 renamedFrom: [${o.unitName}]；如果是误删，请把它加回 units`,
        ),
      );
    const stale = await tx.room.updateMany({ where: { unitName: { notIn: known, not: null } }, data: { unitName: null } });
    if (stale.count) log.warn("room.unbound", { rooms: stale.count, reason: "unit no longer in the config" });
    // `rooms[].circular: full` (the full ledger) follows the file, both ways
    const full = cfg.rooms.filter((r) => r.circular === "full").map((r) => r.name);
    await tx.room.updateMany({ where: { topic: { in: full }, circularFull: false }, data: { circularFull: true } });
    await tx.room.updateMany({ where: { topic: { notIn: full }, circularFull: true }, data: { circularFull: false } });
    const units = new Map((await tx.unit.findMany()).map((u) => [u.name, u]));
    const members = new Map((await tx.member.findMany()).map((m) => [m.id, m]));
    const wantUnits = cfg.units.map((u) => ({ name: u.name, kind: u.kind, headId: u.head ?? null, leaderId: u.leader ?? null }));
    const wantMembers = cfg.members.map((m) => ({ id: m.id, name: m.name, unitName: m.unit ?? null, roles: m.roles.join(",") }));
    const same = (a: object, b: object) => Object.entries(a).every(([k, v]) => (b as Record<string, unknown>)[k] === v);
    await tx.unit.deleteMany({ where: { name: { in: [...units.keys()].filter((n) => !cfg.units.some((u) => u.name === n)) } } });
    const memberIds = new Set(cfg.members.map((m) => m.id));
    await tx.member.deleteMany({ where: { id: { in: [...members.keys()].filter((id) => !memberIds.has(id)) } } });
    await tx.unit.createMany({ data: wantUnits.filter((u) => !units.has(u.name)) });
    await tx.member.createMany({ data: wantMembers.filter((m) => !members.has(m.id)) });
    for (const u of wantUnits) if (units.has(u.name) && !same(u, units.get(u.name)!)) await tx.unit.update({ where: { name: u.name }, data: u });
    for (const m of wantMembers) if (members.has(m.id) && !same(m, members.get(m.id)!)) await tx.member.update({ where: { id: m.id }, data: m });
  }, WRITE_TX);
}
