// The scripted simulator of SPEC §6: the whole bot — the same pipeline, sender and (later) jobs as
// production — through the Wechaty mock puppet, against a fresh database, on a virtual clock. Every
// message the bot sends is written as one JSON line, in send order. Same input, same output.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { App } from "../app.ts";
import type { Config } from "../config/schema.ts";
import { VirtualClock } from "../core/clock.ts";
import { silentLogger, type Logger } from "../core/log.ts";
import type { Target } from "../core/outbox.ts";
import type { Transport, TransportLimits } from "../core/sender.ts";
import { Calendar } from "../domain/calendar.ts";
import { limitsFrom, onMessages, wechatyTransport } from "../transport/wechaty.ts";
import { BOT, MockWorld, type Said } from "../transport/mock-world.ts";
import type { Tx } from "../db/client.ts";

const lineSchema = z.strictObject({
  at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: "at 不是有效时间" }),
  id: z.string().optional(),
  room: z.string().min(1).optional(),
  from: z.string().min(1).optional(),
  text: z.string().optional(),
  image: z.string().optional(),
  advance: z.literal(true).optional(),
  stop: z.literal(true).optional(),
  start: z.literal(true).optional(),
});
export type ScriptLine = z.infer<typeof lineSchema>;

export class ScriptError extends Error {}

export function parseScript(text: string): ScriptLine[] {
  const out: ScriptLine[] = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ScriptError(`脚本第 ${i + 1} 行不是合法的 JSON`);
    }
    const r = lineSchema.safeParse(json);
    if (!r.success) throw new ScriptError(`脚本第 ${i + 1} 行：${r.error.issues.map((x) => `${x.path.join(".") || "(行)"} ${x.message}`).join("；")}`);
    const l = r.data;
    const kinds = [l.text !== undefined, l.image !== undefined, !!l.advance, !!l.stop, !!l.start].filter(Boolean).length;
    if (kinds !== 1) throw new ScriptError(`脚本第 ${i + 1} 行：text、image、advance、stop、start 须有且只有一个`);
    if ((l.text !== undefined || l.image !== undefined) && !l.from) throw new ScriptError(`脚本第 ${i + 1} 行：消息需要 from`);
    out.push(l);
  });
  return out;
}

export interface ReplayOptions {
  cfg: Config;
  script: ScriptLine[];
  /** folder of the script: `image` paths are relative to it */
  scriptDir: string;
  /** where sent files are written; a temp folder when omitted */
  outDir?: string;
  write: (jsonLine: string) => void;
  log?: Logger;
}


export interface SimulationOptions {
  cfg: Config;
  start: Date;
  /** where sent files are copied to (their names appear in the output lines) */
  outDir?: string;
  write: (jsonLine: string) => void;
  log?: Logger;
  /** test hook, see PipelineDeps.beforeCommit */
  beforeCommit?: (tx: Tx) => Promise<void>;
  /** a database file to use instead of a fresh one */
  databaseFile?: string;
  /** transport limits other than WeCom's (benchmarks) */
  limits?: TransportLimits;
}

/**
 * A township on the mock puppet with one Duban on a virtual clock. The replay harness drives it from a
 * script; the tests drive it directly. `stop()`/`start()` restart the bot on the same database.
 */
export class Simulation {
  readonly work = mkdtempSync(path.join(os.tmpdir(), "duban-sim-"));
  readonly cal: Calendar;
  readonly clock: VirtualClock;
  readonly world: MockWorld;
  readonly outDir: string;
  readonly databaseFile: string;
  app: App | null = null;
  private readonly transport: Transport;
  private readonly waiters = new Map<string, { resolve: () => void; reject: (e: unknown) => void }[]>();
  /** messages sent while the bot was down: delivered when it starts, as a puppet replays them */
  private readonly backlog: Said[] = [];
  private fileSeq = 0;

  constructor(private readonly o: SimulationOptions) {
    this.cal = new Calendar(o.cfg.timezone, o.cfg.calendar);
    this.clock = new VirtualClock(o.start);
    this.world = new MockWorld(o.cfg);
    this.outDir = o.outDir ?? path.join(this.work, "out");
    this.databaseFile = o.databaseFile ?? path.join(this.work, "duban.db");
    mkdirSync(this.outDir, { recursive: true });
    // what the bot sends, recorded as it goes out through the mock puppet
    const base = wechatyTransport(this.world.bot, limitsFrom(o.cfg));
    const where = (t: Target) => (t.kind === "room" ? { room: this.world.topicOf.get(t.id) ?? t.id } : { to: t.id });
    const at = () => this.cal.iso(this.clock.now());
    this.transport = {
      limits: o.limits ?? base.limits,
      sendText: async (t, text, mentions) => {
        await base.sendText(t, text, mentions);
        o.write(JSON.stringify(t.kind === "room" ? { at: at(), ...where(t), text, mentions } : { at: at(), ...where(t), text }));
      },
      sendFile: async (t, file) => {
        await base.sendFile(t, file);
        const name = `${String(++this.fileSeq).padStart(3, "0")}-${path.basename(file)}`;
        copyFileSync(file, path.join(this.outDir, name));
        o.write(JSON.stringify(t.kind === "room" ? { at: at(), ...where(t), file: name, mentions: [] } : { at: at(), ...where(t), file: name }));
      },
    };
    onMessages(this.world.bot, async (m) => this.app?.handle(m), (id, err) => {
      const w = this.waiters.get(id)?.shift();
      if (w) err ? w.reject(err) : w.resolve();
    });
  }

  /** Start the puppet and the bot. */
  async open(): Promise<this> {
    await this.world.start();
    await this.start();
    return this;
  }

  get running(): boolean {
    return !!this.app;
  }

  /** (Re)start the bot on the same database, then deliver what was said while it was down. */
  async start(): Promise<void> {
    if (this.app) return;
    this.app = await App.open({
      cfg: this.o.cfg,
      databaseUrl: "file:" + this.databaseFile,
      clock: this.clock,
      transport: this.transport,
      log: this.o.log ?? silentLogger,
      selfId: () => BOT.id,
      botNames: () => [BOT.name],
      evidenceDir: path.join(this.work, "evidence"),
      beforeCommit: this.o.beforeCommit,
    });
    await this.app.noteRooms(this.world.roomList(), this.clock.now());
    await this.app.tick();
    for (const s of this.backlog.splice(0)) await this.deliverNow(s);
  }

  /** Stop the bot: nothing runs while it is down. */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = null;
    await app?.close();
  }

  /** Move the virtual clock forward, running everything due on the way at its own instant. */
  async advanceTo(t: Date): Promise<void> {
    if (t.getTime() < this.clock.now().getTime()) throw new ScriptError(`时间只能向前：${this.cal.iso(t)}`);
    while (this.app) {
      const next = await this.app.nextWakeup();
      if (!next || next.getTime() > t.getTime()) break;
      this.clock.set(next);
      await this.app.tick();
    }
    this.clock.set(t);
    if (this.app) await this.app.tick();
  }

  /** Someone says something (at the clock's now). Resolves when the bot is done with it. */
  async say(s: Omit<Said, "at">): Promise<void> {
    const said = { ...s, at: this.clock.now() };
    if (!this.app) {
      this.backlog.push(said);
      return;
    }
    await this.deliverNow(said);
  }

  private async deliverNow(s: Said): Promise<void> {
    if (s.room && !this.world.rooms.has(s.room)) await this.app!.noteRooms([{ id: this.world.room(s.room).id, topic: s.room }], this.clock.now());
    const done = new Promise<void>((resolve, reject) => this.waiters.set(s.id, [...(this.waiters.get(s.id) ?? []), { resolve, reject }]));
    this.world.deliver(s);
    await done;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.world.stop();
    rmSync(this.work, { recursive: true, force: true });
  }
}

export async function replay(o: ReplayOptions): Promise<void> {
  const cal = new Calendar(o.cfg.timezone, o.cfg.calendar);
  const start = o.script[0] ? new Date(o.script[0].at) : cal.instant(o.cfg.campaign.start, "08:00");
  const sim = new Simulation({ cfg: o.cfg, start, outDir: o.outDir, write: o.write, log: o.log });
  try {
    await sim.open();
    for (const [i, l] of o.script.entries()) {
      await sim.advanceTo(new Date(l.at));
      if (l.stop) await sim.stop();
      else if (l.start) await sim.start();
      else if (!l.advance)
        await sim.say({ id: l.id ?? `L${i + 1}`, from: l.from!, room: l.room, text: l.text, image: l.image === undefined ? undefined : path.resolve(o.scriptDir, l.image) });
    }
  } finally {
    await sim.close();
  }
}
