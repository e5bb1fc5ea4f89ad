// The scripted simulator of SPEC §6: the whole bot — the same pipeline, sender and (later) jobs as
// production — through the Wechaty mock puppet, against a fresh database, on a virtual clock. Every
// message the bot sends is written as one JSON line, in send order. Same input, same output.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { App } from "../app.ts";
import type { Config } from "../config/schema.ts";
import { VirtualClock } from "../core/clock.ts";
import { silentLogger, type Logger } from "../core/log.ts";
import type { Channel, Target } from "../core/ports.ts";
import { Calendar } from "../domain/calendar.ts";
import { createMockChannel, MockWorld, type Said } from "../channels/mock/index.ts";
import { limitsFrom, type TextLimits } from "../channels/wechaty/index.ts";
import type { Tx } from "../db/client.ts";
import { useQueryCodeSource } from "../domain/query-code.ts";
import { useTokenSource } from "../web/auth.ts";

/** 2026-03-02T09:00:00+08:00, or without an offset (then in the config's timezone, never the machine's). */
const AT = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

const lineSchema = z.strictObject(
  {
    at: z.string({ error: "缺少 at（时间，如 2026-03-02T09:00:00+08:00）" }).regex(AT, { error: "at 不是有效时间，应写成 2026-03-02T09:00:00+08:00 或 2026-03-02 09:00" }),
    id: z.string({ error: "id 应为文字" }).optional(),
    room: z.string({ error: "room 应为群名" }).min(1, { error: "room 不能为空" }).optional(),
    from: z.string({ error: "from 应为成员 id" }).min(1, { error: "from 不能为空" }).optional(),
    text: z.string({ error: "text 应为文字" }).optional(),
    image: z.string({ error: "image 应为图片文件路径" }).optional(),
    advance: z.literal(true, { error: "advance 只能是 true" }).optional(),
    stop: z.literal(true, { error: "stop 只能是 true" }).optional(),
    start: z.literal(true, { error: "start 只能是 true" }).optional(),
  },
  { error: (i) => (i.code === "unrecognized_keys" ? `未知的字段「${i.keys.join("、")}」（可用 at、id、room、from、text、image、advance、stop、start）` : "每行应是一个 JSON 对象") },
);
export type ScriptLine = z.infer<typeof lineSchema> & { /** its line number in the script file */ n: number };

export class ScriptError extends Error {}

/** The instant of a script line's `at`; without an offset it is read in the config's timezone. */
export function scriptInstant(at: string, cal: Calendar): Date {
  const m = AT.exec(at);
  if (!m) throw new ScriptError(`at 不是有效时间：${at}`);
  if (m[5]) {
    const d = new Date(at.replace(" ", "T"));
    if (Number.isNaN(d.getTime())) throw new ScriptError(`at 不是有效时间：${at}`);
    return d;
  }
  const base = cal.instant(m[1], `${m[2] ?? "00"}:${m[3] ?? "00"}`);
  return new Date(base.getTime() + Number(m[4] ?? 0) * 1000);
}

export function parseScript(text: string): ScriptLine[] {
  const out: ScriptLine[] = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ScriptError(`脚本第 ${i + 1} 行不是合法的 JSON（每行一个 {…}，字段名和文字要用英文双引号）`);
    }
    const r = lineSchema.safeParse(json);
    if (!r.success) throw new ScriptError(`脚本第 ${i + 1} 行：${r.error.issues.map((x) => x.message).join("；")}`);
    const l = r.data;
    const kinds = [l.text !== undefined, l.image !== undefined, !!l.advance, !!l.stop, !!l.start].filter(Boolean).length;
    if (kinds !== 1) throw new ScriptError(`脚本第 ${i + 1} 行：text、image、advance、stop、start 须有且只有一个`);
    if ((l.text !== undefined || l.image !== undefined) && !l.from) throw new ScriptError(`脚本第 ${i + 1} 行：消息需要 from`);
    out.push({ ...l, n: i + 1 });
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
  /** an empty PostgreSQL database to replay on (a fresh SQLite file when omitted) */
  databaseUrl?: string;
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
  /** a database URL to use instead of a file (an empty PostgreSQL database: `npm run replay` with DATABASE_URL) */
  databaseUrl?: string;
  /** text limits other than the config's (benchmarks) */
  limits?: TextLimits;
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
  /** the mock chat as a channel: the same one across restarts of the bot */
  private readonly channel: Channel;
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
    const where = (t: Target) => (t.kind === "room" ? { room: this.world.topicOf.get(t.id) ?? t.id } : { to: t.id });
    const at = () => this.cal.iso(this.clock.now());
    this.channel = createMockChannel(this.world, {
      limits: o.limits ?? limitsFrom(o.cfg),
      onSent: ({ target: t, text, file, mentions }) => {
        if (file) {
          const name = `${String(++this.fileSeq).padStart(3, "0")}-${path.basename(file)}`;
          copyFileSync(file, path.join(this.outDir, name));
          o.write(JSON.stringify(t.kind === "room" ? { at: at(), ...where(t), file: name, mentions: [] } : { at: at(), ...where(t), file: name }));
        } else o.write(JSON.stringify(t.kind === "room" ? { at: at(), ...where(t), text: text ?? "", mentions } : { at: at(), ...where(t), text: text ?? "" }));
      },
      done: (id, err) => {
        const w = this.waiters.get(id)?.shift();
        if (w) err ? w.reject(err) : w.resolve();
      },
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
      databaseUrl: this.o.databaseUrl ?? "file:" + this.databaseFile,
      clock: this.clock,
      channels: [this.channel],
      log: this.o.log ?? silentLogger,
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
    if (this.app) await this.app.advanceTo(t, this.clock);
    else this.clock.set(t); // nothing runs while the bot is down
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

/** mulberry32: a small seeded generator (the replay's 查询码 are the same on every run). */
function seeded(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

export async function replay(o: ReplayOptions): Promise<void> {
  // same input, same output (SPEC §6): the anonymous reporters' 查询码 too
  useQueryCodeSource(seeded(20260210));
  const linkBytes = seeded(20261204);
  useTokenSource((n) => Buffer.from(Array.from({ length: n }, () => linkBytes(256))));
  // /看板 links name the default address, whatever this machine's DUBAN_PUBLIC_URL says
  const publicUrl = process.env.DUBAN_PUBLIC_URL;
  process.env.DUBAN_PUBLIC_URL = "http://127.0.0.1:7070";
  const cal = new Calendar(o.cfg.timezone, o.cfg.calendar);
  const start = o.script[0] ? scriptInstant(o.script[0].at, cal) : cal.instant(o.cfg.campaign.start, "08:00");
  const sim = new Simulation({ cfg: o.cfg, start, outDir: o.outDir, write: o.write, log: o.log, databaseUrl: o.databaseUrl });
  try {
    await sim.open();
    for (const [i, l] of o.script.entries()) {
      try {
        const at = scriptInstant(l.at, cal);
        if (at.getTime() < sim.clock.now().getTime()) throw new ScriptError(`时间只能向前：${l.at} 早于上一行的 ${cal.iso(sim.clock.now())}`);
        const image = l.image === undefined ? undefined : path.resolve(o.scriptDir, l.image);
        if (image && !existsSync(image)) throw new ScriptError(`找不到图片文件 ${image}（image 的路径相对于脚本所在目录）`);
        await sim.advanceTo(at);
        if (l.stop) await sim.stop();
        else if (l.start) await sim.start();
        else if (!l.advance) await sim.say({ id: l.id ?? `L${i + 1}`, from: l.from!, room: l.room, text: l.text, image });
      } catch (e) {
        if (e instanceof ScriptError) throw new ScriptError(`脚本第 ${l.n} 行：${e.message}`);
        throw e;
      }
    }
  } finally {
    await sim.close();
    useTokenSource();
    if (publicUrl === undefined) delete process.env.DUBAN_PUBLIC_URL;
    else process.env.DUBAN_PUBLIC_URL = publicUrl;
  }
}
