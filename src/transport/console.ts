// The local playground: the mock puppet with the example township, and a console where you type as any
// member in any group:  张三@东村工作群> /上报 村务公开栏三个月未更新 #村务公开
// A line "名字@群名>" (or "名字>" for a private chat) switches who you are; the rest is sent.
import path from "node:path";
import readline from "node:readline";
import { App } from "../app.ts";
import type { Config } from "../config/schema.ts";
import { systemClock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Transport } from "../core/sender.ts";
import { BOT, MockWorld } from "./mock-world.ts";
import { limitsFrom, onMessages, wechatyTransport } from "./wechaty.ts";

export async function runConsole(cfg: Config, o: { databaseUrl: string; configPath: string; log: Logger }): Promise<void> {
  const world = new MockWorld(cfg);
  const base = wechatyTransport(world.bot, limitsFrom(cfg));
  const nameOf = (id: string) => cfg.members.find((m) => m.id === id)?.name ?? id;
  const print = (s: string) => {
    process.stdout.write(`\r${s}\n`);
    rl?.prompt(true);
  };
  const transport: Transport = {
    limits: base.limits,
    overhead: base.overhead,
    async sendText(t, text, mentions) {
      await base.sendText(t, text, mentions);
      const head = t.kind === "room" ? `[${world.topicOf.get(t.id) ?? t.id}]` : `[私聊 → ${nameOf(t.id)}]`;
      const at = mentions.length ? mentions.map((m) => "@" + nameOf(m)).join(" ") + " " : "";
      print(`${head} ${BOT.name}：${at}${text.replace(/\n/g, "\n    ")}`);
    },
    async sendFile(t, file) {
      await base.sendFile(t, file);
      print(`[${t.kind === "room" ? world.topicOf.get(t.id) : "私聊 → " + nameOf(t.id)}] ${BOT.name} 发送文件：${file}`);
    },
  };
  const app = await App.open({
    cfg,
    databaseUrl: o.databaseUrl,
    clock: systemClock,
    transport,
    log: o.log,
    selfId: () => BOT.id,
    botNames: () => [BOT.name],
    evidenceDir: path.resolve("data/evidence"),
  });
  onMessages(world.bot, (m) => app.handle(m), (_id, e) => e && print(`（出错：${(e as Error).message}）`));
  await world.start();
  await app.noteRooms(world.roomList(), systemClock.now());
  const tick = setInterval(() => void app.tick(), 5_000);

  const defaultMember = cfg.members.find((m) => !m.roles.includes("领导") && !m.roles.includes("督办员") && m.unit) ?? cfg.members[0];
  let who = defaultMember.id;
  let room: string | undefined = cfg.units.find((u) => u.name === defaultMember.unit)?.rooms[0];
  const promptText = () => `${nameOf(who)}${room ? "@" + room : ""}> `;
  let seq = 0;

  console.log(`督办助手 · 本地演练（${cfg.org}，配置 ${o.configPath}，数据库 ${o.databaseUrl}）`);
  console.log(`像在群里一样输入命令，例如 /上报 村务公开栏三个月未更新 #村务公开`);
  console.log(`切换身份："钱督办>"（私聊）或 "王五@东村工作群>"；发图片：":图片 路径"；成员：":成员"；群：":群"；退出：Ctrl-D`);
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
    if (text === ":成员") print(cfg.members.map((m) => `${m.name}(${m.id}) ${m.unit ?? ""} ${m.roles.join("、")}`).join("\n"));
    else if (text === ":群") print(world.roomList().map((r) => r.topic).join("、"));
    else if (text.startsWith(":图片")) world.deliver({ id: `c${Date.now()}-${++seq}`, from: who, room, image: path.resolve(text.slice(3).trim()), at: new Date() });
    else if (text) world.deliver({ id: `c${Date.now()}-${++seq}`, from: who, room, text, at: new Date() });
    rl.prompt();
  });
  await new Promise<void>((res) => rl.on("close", () => res()));
  clearInterval(tick);
  await new Promise((r) => setTimeout(r, 300));
  await app.tick();
  await world.stop();
  await app.close();
  process.exit(0);
}
