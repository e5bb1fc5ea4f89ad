// The playground in a browser (`npm start` with no channel configured): the example township's groups on
// the mock chat, anyone of the roster (or a stranger) typing in any group or privately, photos as
// evidence, the bot's answers appearing live (server-sent events), and a clock of its own that jumps
// forward running everything scheduled on the way — the same pipeline, outbox and jobs as production,
// through the mock channel, as the replay harness and the terminal console use them.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { streamSSE } from "hono/streaming";
import { App } from "../app.ts";
import { BOT, createMockChannel, MockWorld } from "../channels/mock/index.ts";
import { limitsFrom } from "../channels/wechaty/index.ts";
import type { Config } from "../config/schema.ts";
import { PlaygroundClock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import { Calendar } from "../domain/calendar.ts";
import { html, page } from "../web/html.ts";
import { playgroundStart } from "./console.ts";

export interface Entry {
  seq: number;
  /** `room:<群名>` or `private:<member id>` */
  chat: string;
  /** who said it: a member id, or `bot` */
  from: string;
  name: string;
  text?: string;
  /** a file the bot sent or a photo someone sent: its number for /api/file/:n */
  file?: { n: number; name: string; image: boolean };
  mentions?: string[];
  at: string;
}

const WEEK = "日一二三四五六";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
/** The host of an Origin header ("http://127.0.0.1:7070" → "127.0.0.1"); "" when it is none. */
function safeHost(origin: string): string {
  try {
    return new URL(origin).hostname;
  } catch {
    return "";
  }
}

/** Is this an address only this machine reaches (the playground's bind)? */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface Playground {
  duban: App;
  clock: PlaygroundClock;
  note: string;
  mount(web: Hono): void;
  close(): Promise<void>;
}

export async function openPlayground(cfg: Config, o: { databaseUrl: string; evidenceDir: string; log: Logger; wall?: Date }): Promise<Playground> {
  const cal = new Calendar(cfg.timezone, cfg.calendar);
  const { start, note } = playgroundStart(cfg, o.wall ?? new Date());
  const clock = new PlaygroundClock(start);
  const world = new MockWorld(cfg);
  const log: Entry[] = [];
  const files: string[] = [];
  const listeners = new Set<(e: { type: string; data: unknown }) => void>();
  const emit = (type: string, data: unknown) => listeners.forEach((l) => l({ type, data }));
  const nameOf = (id: string) => cfg.members.find((m) => m.id === id)?.name ?? id;
  const time = (d: Date) => {
    const l = cal.local(d);
    return `${l.ymd} 周${WEEK[cal.weekday(l.ymd) % 7]} ${String(l.hh).padStart(2, "0")}:${String(l.mm).padStart(2, "0")}`;
  };
  const add = (e: Omit<Entry, "seq" | "at">) => {
    const entry: Entry = { ...e, seq: log.length + 1, at: time(clock.now()) };
    log.push(entry);
    if (log.length > 5000) log.splice(0, 1000);
    emit("message", entry);
  };
  const handled = new Map<string, (err?: unknown) => void>();
  const channel = createMockChannel(world, {
    limits: limitsFrom(cfg),
    onSent({ target, text, file, mentions }) {
      const chat = target.kind === "room" ? `room:${world.topicOf.get(target.id) ?? target.id}` : `private:${target.id}`;
      if (file) {
        files.push(file);
        add({ chat, from: "bot", name: BOT.name, file: { n: files.length, name: path.basename(file), image: /\.(png|jpe?g|gif|webp)$/i.test(file) } });
      } else add({ chat, from: "bot", name: BOT.name, text: text ?? "", mentions: mentions.map(nameOf) });
    },
    done(id, err) {
      handled.get(id)?.(err);
      handled.delete(id);
    },
  });
  await world.start();
  const duban = await App.open({ cfg, databaseUrl: o.databaseUrl, clock, channels: [channel], log: o.log, evidenceDir: o.evidenceDir });
  // a playground database used before: carry on from where its clock had got to
  const last = (await duban.db.outbox.findFirst({ orderBy: { createdAt: "desc" }, select: { createdAt: true } }))?.createdAt;
  if (last && last.getTime() > clock.now().getTime()) clock.set(last);
  await duban.noteRooms(world.roomList(), clock.now());

  // one thing at a time: a tick, a jump of the clock or a message
  let busy: Promise<unknown> = Promise.resolve();
  const serial = <T,>(f: () => Promise<T>): Promise<T> => {
    const run = busy.then(f);
    busy = run.catch((e) => o.log.error("playground.failed", { error: String((e as Error)?.message ?? e) }));
    return run;
  };
  const tick = setInterval(() => void serial(() => duban.tick()), 5_000);
  const clockState = () => ({ now: time(clock.now()), iso: clock.now().toISOString(), workday: cal.isWorkday(cal.today(clock.now())) });
  const advanceTo = async (t: Date) => {
    await duban.advanceTo(t, clock);
    emit("clock", clockState());
  };
  let seq = 0;
  const say = (from: string, room: string | undefined, s: { text?: string; image?: string }) =>
    serial(async () => {
      const id = `web${Date.now()}-${++seq}`;
      if (room && !world.rooms.has(room)) await duban.noteRooms([{ id: world.room(room).id, topic: room }], clock.now());
      const chat = room ? `room:${room}` : `private:${from}`;
      if (s.image) {
        files.push(s.image);
        add({ chat, from, name: nameOf(from), file: { n: files.length, name: path.basename(s.image), image: true } });
      } else add({ chat, from, name: nameOf(from), text: s.text });
      await new Promise<void>((resolve, reject) => {
        handled.set(id, (err) => (err ? reject(err) : resolve()));
        world.deliver({ id, from, room, ...s, at: clock.now() });
      });
      await duban.sender.idle();
    });

  const uploads = path.join(path.dirname(o.evidenceDir), "playground-uploads");
  mkdirSync(uploads, { recursive: true });
  const roomNames = () => world.roomList().map((r) => r.topic);
  const validFrom = (from: unknown): string | null => (typeof from === "string" && /^[\w.@-]{1,64}$/.test(from) ? from : null);
  const validRoom = (room: unknown): string | undefined | null => (room === undefined || room === "" ? undefined : typeof room === "string" && roomNames().includes(room) ? room : null);

  return {
    duban,
    clock,
    note,
    mount(web) {
      // The playground asks nobody who they are (that is its point): it answers only this machine. A
      // request must name a loopback host (no DNS rebinding) and a change must come from this very page
      // (no other site's form or script: same origin, JSON or a form of ours), see main.ts for the bind.
      web.use("/api/*", async (c, next) => {
        const host = (c.req.header("host") ?? "").replace(/:\d+$/, "");
        if (!LOOPBACK.has(host)) return c.json({ error: "演练台只接受本机访问" }, 403);
        if (c.req.method === "POST") {
          const origin = c.req.header("origin");
          if (origin && !LOOPBACK.has(safeHost(origin))) return c.json({ error: "演练台只接受本页面的请求" }, 403);
          const type = c.req.header("content-type") ?? "";
          if (!(c.req.path === "/api/image" ? type.startsWith("multipart/form-data") : type.startsWith("application/json"))) return c.json({ error: "请求格式不对" }, 415);
        }
        await next();
      });
      web.get("/", (c) =>
        c.html(
          page({
            title: "本地演练",
            org: cfg.org,
            scripts: ["/static/playground.js"],
            body: html`<div class="pg">
              <aside class="pg-side">
                <div class="pg-who"><label for="who">我是</label><select id="who"></select></div>
                <h2>工作群</h2>
                <div class="pg-chats" id="rooms"></div>
                <h2>私聊</h2>
                <div class="pg-chats"><button type="button" id="private">和督办助手私聊</button></div>
                <h2>演练时钟</h2>
                <div class="pg-clock"><span class="pg-time" id="time"></span></div>
                <div class="pg-clock"><button type="button" id="next">跳到下个工作日 09:00</button></div>
                <div class="pg-clock"><input type="datetime-local" id="jumpTo" /><button type="button" id="jump">跳到</button></div>
                <p class="pg-hint" id="note">${note}</p>
                <p class="pg-hint">到点的提醒、周报、通报都会在拨动时钟时发出。演练数据在本机的数据库文件里，删掉即重来。</p>
              </aside>
              <section class="pg-main">
                <div class="pg-title" id="title"></div>
                <div class="pg-log" id="log" aria-live="polite"></div>
                <form class="pg-send" id="send">
                  <input type="text" id="text" autocomplete="off" placeholder="输入命令，如 /上报 村务公开栏三个月未更新 #村务公开" maxlength="2000" />
                  <button type="submit" class="primary">发送</button>
                  <label class="button">发图片<input type="file" id="image" accept="image/*" /></label>
                </form>
              </section>
            </div>`,
          }),
        ),
      );
      web.get("/api/state", (c) =>
        c.json({
          org: cfg.org,
          bot: BOT.name,
          members: cfg.members.map((m) => ({ id: m.id, name: m.name, unit: m.unit ?? null, roles: m.roles })),
          rooms: roomNames(),
          clock: clockState(),
          log,
        }),
      );
      web.get("/api/events", (c) =>
        streamSSE(c, async (s) => {
          const queue: { type: string; data: unknown }[] = [];
          let wake: (() => void) | null = null;
          const l = (e: { type: string; data: unknown }) => {
            queue.push(e);
            wake?.();
          };
          listeners.add(l);
          s.onAbort(() => {
            listeners.delete(l);
            wake?.();
          });
          while (!s.aborted) {
            if (!queue.length) await new Promise<void>((r) => ((wake = r), setTimeout(r, 15_000)));
            wake = null;
            if (!queue.length) await s.writeSSE({ event: "ping", data: "" });
            for (const e of queue.splice(0)) await s.writeSSE({ event: e.type, data: JSON.stringify(e.data) });
          }
          listeners.delete(l);
        }),
      );
      web.post("/api/say", bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: "内容过长" }, 413) }), async (c) => {
        const b = await c.req.json().catch(() => ({}));
        const from = validFrom(b.from);
        const room = validRoom(b.room);
        const text = typeof b.text === "string" ? b.text.slice(0, 8000) : "";
        if (!from || room === null || !text.trim()) return c.json({ error: "缺少发言人、群或内容" }, 400);
        await say(from, room, { text });
        return c.json({ ok: true });
      });
      web.post("/api/image", bodyLimit({ maxSize: 11 * 1024 * 1024, onError: (c) => c.json({ error: "图片不能超过 10 MB" }, 413) }), async (c) => {
        const b = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
        const from = validFrom(b.from);
        const room = validRoom(b.room);
        const file = b.file;
        if (!from || room === null || !(file instanceof File)) return c.json({ error: "缺少发言人、群或图片" }, 400);
        if (file.size > 10 * 1024 * 1024) return c.json({ error: "图片不能超过 10 MB" }, 400);
        const ext = (path.extname(file.name).toLowerCase().match(/^\.(jpe?g|png|gif|webp)$/) ?? [".png"])[0];
        const saved = path.join(uploads, `${Date.now()}-${++seq}${ext}`);
        writeFileSync(saved, Buffer.from(await file.arrayBuffer()));
        await say(from, room, { image: saved });
        return c.json({ ok: true });
      });
      web.post("/api/clock", bodyLimit({ maxSize: 1024, onError: (c) => c.json({ error: "请求过大" }, 413) }), async (c) => {
        const b = await c.req.json().catch(() => ({}));
        let to: Date;
        if (b.to === "next-workday") to = cal.instant(cal.addWorkdays(cal.today(clock.now()), 1), cfg.reminders.at);
        else {
          const m = typeof b.to === "string" ? /^(\d{4}-\d{2}-\d{2})T(([01]\d|2[0-3]):[0-5]\d)$/.exec(b.to) : null;
          if (!m || Number.isNaN(Date.parse(m[1] + "T00:00:00Z")) || new Date(m[1] + "T00:00:00Z").toISOString().slice(0, 10) !== m[1]) return c.json({ error: "时间格式应为 2026-03-05T09:00" }, 400);
          to = cal.instant(m[1], m[2]);
        }
        if (to.getTime() < clock.now().getTime()) return c.json({ error: `只能往后拨：现在已是 ${time(clock.now())}` }, 400);
        // everything scheduled on the way runs, one after another: not further than the campaign needs
        const last = cal.instant(cal.addDays(cfg.campaign.end, 62), "23:59");
        if (to.getTime() > last.getTime()) return c.json({ error: `最远拨到整顿结束后两个月（${time(last)}）` }, 400);
        await serial(() => advanceTo(to));
        return c.json({ ok: true, clock: clockState() });
      });
      web.get("/api/file/:n", (c) => {
        const f = files[Number(c.req.param("n")) - 1];
        if (!f) return c.body(null, 404);
        const ext = path.extname(f).toLowerCase();
        const type = ext === ".png" ? "image/png" : ext === ".jpg" || ext === ".jpeg" ? "image/jpeg" : ext === ".xlsx" ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "application/octet-stream";
        c.header("Content-Type", type);
        if (!type.startsWith("image/")) c.header("Content-Disposition", `attachment; filename*=UTF-8''${encodeURIComponent(path.basename(f))}`);
        return c.body(new Uint8Array(readFileSync(f)));
      });
    },
    async close() {
      clearInterval(tick);
      await busy;
      await duban.close();
      await world.stop();
    },
  };
}
