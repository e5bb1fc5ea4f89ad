// The local playground: the mock puppet with the example township, and a console where you type as any
// member in any group:  张三@东村工作群> /上报 村务公开栏三个月未更新 #村务公开
// A line "名字@群名>" (or "名字>" for a private chat) switches who you are; the rest is sent.
// It runs on a clock of its own: inside the campaign it starts at the wall clock, otherwise at the
// campaign's first workday 09:00; `:跳到`, `:下个工作日` and `:快进` move it forward, running everything
// scheduled in between at its own instant, as the replay harness does.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { App } from "../app.ts";
import type { Config } from "../config/schema.ts";
import { PlaygroundClock } from "../core/clock.ts";
import { Calendar } from "../domain/calendar.ts";
import type { Logger } from "../core/log.ts";
import { BOT, createMockChannel, MockWorld } from "../channels/mock/index.ts";
import { limitsFrom } from "../channels/wechaty/index.ts";

/** Where the playground's clock starts, and the banner line that says why. */
export function playgroundStart(cfg: Config, wall: Date): { start: Date; note: string } {
  const cal = new Calendar(cfg.timezone, cfg.calendar);
  const today = cal.today(wall);
  if (today >= cfg.campaign.start && today <= cfg.campaign.end) return { start: wall, note: `时钟：现在（${fmtTime(cal, wall)}），在整顿期内` };
  const start = cal.instant(cal.workdayOnOrAfter(cfg.campaign.start), "09:00");
  return { start, note: `时钟：从整顿第一个工作日 ${fmtTime(cal, start)} 开始（今天不在 ${cfg.campaign.start} 至 ${cfg.campaign.end} 的整顿期内）` };
}

const WEEK = "日一二三四五六";
function fmtTime(cal: Calendar, at: Date): string {
  const l = cal.local(at);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${l.ymd} 周${WEEK[cal.weekday(l.ymd) % 7]} ${pad(l.hh)}:${pad(l.mm)}`;
}

/**
 * The clock commands of the console: `:时间`, `:跳到 2026-03-05 09:00`, `:下个工作日`, `:快进 3天` /
 * `:快进 2小时`. Returns the instant to move to, a line to print, or an error (in Chinese).
 */
export function clockCommand(line: string, now: Date, cal: Calendar, at: string): { to?: Date; say?: string; error?: string } | null {
  let m: RegExpExecArray | null;
  if (line === ":时间") return { say: `现在是 ${fmtTime(cal, now)}${cal.isWorkday(cal.today(now)) ? "（工作日）" : "（非工作日）"}` };
  if (line === ":下个工作日") {
    const day = cal.addWorkdays(cal.today(now), 1);
    return { to: cal.instant(day, at) };
  }
  if ((m = /^:跳到\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(line))) {
    const ymd = `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}`;
    if (Number.isNaN(Date.parse(ymd + "T00:00:00Z")) || new Date(ymd + "T00:00:00Z").toISOString().slice(0, 10) !== ymd) return { error: `「${ymd}」不是有效日期` };
    const to = cal.instant(ymd, `${(m[4] ?? "09").padStart(2, "0")}:${m[5] ?? "00"}`);
    if (to.getTime() < now.getTime()) return { error: `只能往后跳：现在已是 ${fmtTime(cal, now)}` };
    return { to };
  }
  if ((m = /^:快进\s*(\d+)\s*(天|小时|分钟)$/.exec(line))) {
    const ms = { 天: 86_400_000, 小时: 3_600_000, 分钟: 60_000 }[m[2] as "天" | "小时" | "分钟"] * Number(m[1]);
    if (ms <= 0 || ms > 400 * 86_400_000) return { error: "快进的时长应在 1 分钟到 400 天之间" };
    return { to: new Date(now.getTime() + ms) };
  }
  if (/^:(跳到|快进)/.test(line)) return { error: "写法：:跳到 2026-03-05 09:00　:快进 3天　:快进 2小时　:下个工作日　:时间" };
  return null;
}

export async function runConsole(cfg: Config, o: { databaseUrl: string; configPath: string; log: Logger }): Promise<void> {
  const cal = new Calendar(cfg.timezone, cfg.calendar);
  const { start, note } = playgroundStart(cfg, new Date());
  const clock = new PlaygroundClock(start);
  const world = new MockWorld(cfg);
  const nameOf = (id: string) => cfg.members.find((m) => m.id === id)?.name ?? id;
  const print = (s: string) => {
    process.stdout.write(`\r${s}\n`);
    rl?.prompt(true);
  };
  const handled = new Map<string, () => void>();
  const channel = createMockChannel(world, {
    limits: limitsFrom(cfg),
    onSent({ target: t, text, file, mentions }) {
      const head = t.kind === "room" ? `[${world.topicOf.get(t.id) ?? t.id}]` : `[私聊 → ${nameOf(t.id)}]`;
      if (file) return print(`${head} ${BOT.name} 发送文件：${file}`);
      const at = mentions.length ? mentions.map((m) => "@" + nameOf(m)).join(" ") + " " : "";
      print(`${head} ${BOT.name}：${at}${(text ?? "").replace(/\n/g, "\n    ")}`);
    },
    done(id, e) {
      if (e) print(`（出错：${(e as Error).message}）`);
      handled.get(id)?.();
      handled.delete(id);
    },
  });
  await world.start();
  const app = await App.open({
    cfg,
    databaseUrl: o.databaseUrl,
    clock,
    channels: [channel],
    log: o.log,
    evidenceDir: path.resolve("data/evidence"),
  });
  // a playground database used before: carry on from where its clock had got to
  const last = (await app.db.outbox.findFirst({ orderBy: { createdAt: "desc" }, select: { createdAt: true } }))?.createdAt;
  if (last && last.getTime() > clock.now().getTime()) clock.set(last);
  /** Say something as `from` (in `inRoom`, or privately) and wait until the bot is done with it. */
  const deliver = (from: string, inRoom: string | undefined, s: { text?: string; image?: string }) => {
    const id = `c${Date.now()}-${++seq}`;
    return new Promise<void>((resolve) => {
      handled.set(id, resolve);
      world.deliver({ id, from, room: inRoom, ...s, at: clock.now() });
    });
  };
  await app.noteRooms(world.roomList(), clock.now());
  // one thing at a time: a tick, a jump of the clock or a typed line
  let busy: Promise<unknown> = Promise.resolve();
  const serial = (f: () => Promise<unknown>) => (busy = busy.then(f).catch((e) => print(`（出错：${(e as Error).message}）`)));
  const tick = setInterval(() => void serial(() => app.tick()), 5_000);
  /** Move the clock forward, running everything due on the way at its own instant. */
  const advanceTo = async (t: Date) => {
    await app.advanceTo(t, clock);
    print(`（时钟已到 ${fmtTime(cal, clock.now())}）`);
  };

  const defaultMember = cfg.members.find((m) => !m.roles.includes("领导") && !m.roles.includes("督办员") && m.unit) ?? cfg.members[0];
  let who = defaultMember.id;
  let room: string | undefined = cfg.units.find((u) => u.name === defaultMember.unit)?.rooms[0];
  const promptText = () => `${nameOf(who)}${room ? "@" + room : ""}> `;
  let seq = 0;

  console.log(`督办助手 · 本地演练（${cfg.org}，配置 ${o.configPath}，数据库 ${o.databaseUrl}）`);
  console.log(`像在群里一样输入命令，例如 /上报 村务公开栏三个月未更新 #村务公开`);
  console.log(`切换身份："钱督办>"（私聊）或 "王五@东村工作群>"；发图片：":图片 路径"；成员：":成员"；群：":群"；退出：Ctrl-D`);
  console.log(`${note}。看时间 ":时间"，往后拨 ":下个工作日"、":跳到 2026-03-05 09:00"、":快进 3天"（其间到点的提醒、周报、通报都会发出）`);
  const rl: readline.Interface = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  rl.setPrompt(promptText());
  rl.prompt();
  rl.on("line", (line) => {
    let text = line.trim();
    const sw = /^([^\s@＠>]+)(?:[@＠]([^\s>]+))?>\s*(.*)$/u.exec(text);
    if (sw) {
      const m = cfg.members.find((x) => x.name === sw[1] || x.id === sw[1]);
      who = m?.id ?? sw[1];
      room = sw[2];
      text = sw[3];
      if (!m) print(`（${sw[1]} 不在名册中，将以陌生人身份发言）`);
      rl.setPrompt(promptText());
    }
    const clockCmd = clockCommand(text, clock.now(), cal, cfg.reminders.at);
    if (clockCmd?.error) print(`（${clockCmd.error}）`);
    else if (clockCmd?.say) print(clockCmd.say);
    else if (clockCmd?.to) {
      const to = clockCmd.to;
      void serial(() => advanceTo(to));
    } else if (text === ":成员") print(cfg.members.map((m) => `${m.name}(${m.id}) ${m.unit ?? ""} ${m.roles.join("、")}`).join("\n"));
    else if (text === ":群") print(world.roomList().map((r) => r.topic).join("、"));
    else if (text.startsWith(":图片")) {
      const file = path.resolve(text.slice(3).trim());
      if (!text.slice(3).trim()) print("（写法：:图片 图片文件路径，如 :图片 examples/evidence.png）");
      else if (!existsSync(file) || !statSync(file).isFile()) print(`（找不到图片文件 ${file}，请检查路径）`);
      else {
        const [from, inRoom] = [who, room];
        void serial(() => deliver(from, inRoom, { image: file }));
      }
    } else if (text.startsWith(":")) print("（控制台命令：:时间　:下个工作日　:跳到 日期 时间　:快进 3天　:图片 路径　:成员　:群）");
    else if (text) {
      const [from, inRoom] = [who, room];
      void serial(() => deliver(from, inRoom, { text }));
    }
    rl.prompt();
  });
  await new Promise<void>((res) => rl.on("close", () => res()));
  clearInterval(tick);
  await busy; // what was typed (or pasted) before Ctrl-D is handled first
  await app.tick();
  await world.stop();
  await app.close();
  process.exit(0);
}
