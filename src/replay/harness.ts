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
import type { Transport } from "../core/sender.ts";
import { Calendar } from "../domain/calendar.ts";
import { onMessages, wechatyTransport } from "../transport/wechaty.ts";
import { BOT, MockWorld } from "../transport/mock-world.ts";

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


export async function replay(o: ReplayOptions): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), "duban-replay-"));
  const outDir = o.outDir ?? path.join(work, "out");
  mkdirSync(outDir, { recursive: true });
  const cal = new Calendar(o.cfg.timezone, o.cfg.calendar);
  const log = o.log ?? silentLogger;
  const first = o.script[0] ? new Date(o.script[0].at) : cal.instant(o.cfg.campaign.start, "08:00");
  const clock = new VirtualClock(first);

  const world = new MockWorld(o.cfg);
  const bot = world.bot;
  const topicOf = world.topicOf;

  // what the bot sends, recorded as it goes out through the mock puppet
  let fileSeq = 0;
  const base = wechatyTransport(bot);
  const where = (t: Target) => (t.kind === "room" ? { room: topicOf.get(t.id) ?? t.id } : { to: t.id });
  const transport: Transport = {
    limits: base.limits,
    async sendText(t, text, mentions) {
      await base.sendText(t, text, mentions);
      const line = t.kind === "room" ? { at: cal.iso(clock.now()), ...where(t), text, mentions } : { at: cal.iso(clock.now()), ...where(t), text };
      o.write(JSON.stringify(line));
    },
    async sendFile(t, file) {
      await base.sendFile(t, file);
      const name = `${String(++fileSeq).padStart(3, "0")}-${path.basename(file)}`;
      copyFileSync(file, path.join(outDir, name));
      o.write(JSON.stringify({ at: cal.iso(clock.now()), ...where(t), file: name }));
    },
  };

  // one waiter per delivered message id: the harness moves on only when the bot is done with it
  const waiters = new Map<string, { resolve: () => void; reject: (e: unknown) => void }[]>();
  let app: App | null = null;
  const settle = (id: string, err?: unknown) => {
    const w = waiters.get(id)?.shift();
    if (w) err ? w.reject(err) : w.resolve();
  };
  onMessages(bot, async (m) => app?.handle(m), settle);

  await world.start();

  const dbUrl = "file:" + path.join(work, "duban.db");
  const open = async () => {
    app = await App.open({
      cfg: o.cfg,
      databaseUrl: dbUrl,
      clock,
      transport,
      log,
      selfId: () => BOT.id,
      botNames: () => [BOT.name],
      evidenceDir: path.join(work, "evidence"),
    });
    await app.noteRooms(world.roomList(), clock.now());
    await app.tick();
  };

  const advanceTo = async (t: Date) => {
    if (t.getTime() < clock.now().getTime()) throw new ScriptError(`时间只能向前：${cal.iso(t)}`);
    while (app) {
      const next = await app.nextWakeup();
      if (!next || next.getTime() > t.getTime()) break;
      if (next.getTime() > clock.now().getTime()) clock.set(next);
      await app.tick();
    }
    clock.set(t);
    if (app) await app.tick();
  };

  const deliver = async (l: ScriptLine, lineNo: number) => {
    const id = l.id ?? `L${lineNo}`;
    if (l.room && !world.rooms.has(l.room) && app) await app.noteRooms([{ id: world.room(l.room).id, topic: l.room }], clock.now());
    const done = new Promise<void>((resolve, reject) => waiters.set(id, [...(waiters.get(id) ?? []), { resolve, reject }]));
    world.deliver({ id, from: l.from!, room: l.room, text: l.text, image: l.image === undefined ? undefined : path.resolve(o.scriptDir, l.image), at: clock.now() });
    await done;
  };

  const pending: { l: ScriptLine; n: number }[] = [];
  try {
    await open();
    for (const [i, l] of o.script.entries()) {
      await advanceTo(new Date(l.at));
      if (l.advance) continue;
      if (l.stop) {
        if (app) await (app as App).close();
        app = null;
        continue;
      }
      if (l.start) {
        if (!app) {
          await open();
          for (const p of pending.splice(0)) await deliver(p.l, p.n);
        }
        continue;
      }
      if (!app) pending.push({ l, n: i + 1 });
      else await deliver(l, i + 1);
    }
  } finally {
    if (app) await (app as App).close();
    await world.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

