// npm start. The channels switched on by the environment and the config (SPEC §8: Wechaty, the WeCom
// 智能机器人, 自建应用, 群机器人 webhook), side by side on one outbox, and the dashboard on the web port.
// None (or DUBAN_PLAYGROUND=1): the local playground in the browser — the mock chat, the example
// township, anyone typing anywhere, a clock to jump. `npm run console`: the same in the terminal.
import { existsSync } from "node:fs";
import path from "node:path";
import cron from "node-cron";
import { App } from "./app.ts";
import { channelsFromEnv } from "./channels/index.ts";
import { ConfigError, loadConfig } from "./config/load.ts";
import { systemClock } from "./core/clock.ts";
import { createLogger } from "./core/log.ts";
import { DEFAULT_DATABASE_URL } from "./db/client.ts";
import { webAddress } from "./web/auth.ts";

const configPath = process.env.DUBAN_CONFIG ?? (existsSync("duban.yaml") ? "duban.yaml" : "examples/duban.example.yaml");
const production = ["WECHATY_PUPPET_SERVICE_TOKEN", "WECOM_AIBOT_ID", "WECOM_AIBOT_SECRET", "WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_AGENT_SECRET"].some((v) => process.env[v]?.trim());
const log = createLogger((process.env.LOG_LEVEL as any) ?? (production ? "info" : "warn"));

// a config that does not parse, or that the database contradicts (items of a unit no longer in the
// file): the bot does not start, and says why in Chinese — never a stack trace
function refuse(e: unknown): never {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
}

let cfg;
try {
  cfg = loadConfig(configPath);
} catch (e) {
  refuse(e);
}

const setup = await channelsFromEnv(process.env, cfg, log);
if (setup.problems.length) {
  console.error(`通道设置有误，机器人未启动：\n${setup.problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(2);
}

const web = webAddress();
const evidenceDir = path.resolve(process.env.DUBAN_EVIDENCE_DIR ?? "data/evidence");
const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const playground = !setup.channels.length || process.env.DUBAN_PLAYGROUND === "1";
// beside production settings the playgrounds never touch the production database
const pgDatabase = setup.channels.length ? process.env.DUBAN_PLAYGROUND_DATABASE_URL || "file:./data/playground.db" : databaseUrl;

/** A playground's mock chat reaches everyone: on a database a production channel has used, it would "send" real rows into the void. */
async function refuseProductionDatabase(url: string): Promise<void> {
  const { usedByProduction } = await import("./playground/guard.ts");
  const used = await usedByProduction(url).catch(() => null);
  if (!used) return;
  console.error(`数据库 ${url} 是生产通道（${used}）用过的，演练台不在上面运行（演练台的模拟聊天会把待发的真实消息“发”掉）：请检查是否漏设了通道的环境变量；只想演练，请设 DATABASE_URL=file:./data/playground.db`);
  process.exit(2);
}

if (process.argv.includes("console")) {
  await refuseProductionDatabase(pgDatabase);
  const { runConsole } = await import("./playground/console.ts");
  await runConsole(cfg, { databaseUrl: pgDatabase, configPath, log }).catch(refuse);
} else if (playground) {
  if (setup.channels.length) log.warn("playground.forced", { msg: "DUBAN_PLAYGROUND=1：已配置的生产通道不启用，运行本地演练台", channels: setup.channels.map((c) => c.name) });
  const { isLoopback, openPlayground } = await import("./playground/web.ts");
  // nobody logs in to the playground: it is offered to this machine only
  if (!isLoopback(web.host)) {
    console.error(`演练台不需要登录、谁都能以任何人的身份发言，只在本机地址上提供：请去掉 DUBAN_WEB_HOST（现为 ${web.host}）或设为 127.0.0.1`);
    process.exit(2);
  }
  const { createWeb, listen } = await import("./web/server.ts");
  await refuseProductionDatabase(pgDatabase);
  const pg = await openPlayground(cfg, { databaseUrl: pgDatabase, evidenceDir: setup.channels.length ? path.resolve("data/playground-evidence") : evidenceDir, log }).catch(refuse);
  const site = createWeb({ duban: pg.duban, now: () => pg.clock.now(), evidenceDir, playground: (w) => pg.mount(w) });
  const bound = await listen(site, web.host, web.port).catch((e) => {
    console.error(`网页端口 ${web.host}:${web.port} 无法使用（${(e as Error).message}）：请用 DUBAN_WEB_PORT 换一个端口`);
    process.exit(2);
  });
  // /看板 links point at the port really bound (DUBAN_WEB_PORT=0: any free one)
  if (!process.env.DUBAN_PUBLIC_URL && !web.port) process.env.DUBAN_PUBLIC_URL = webAddress({ ...process.env, DUBAN_WEB_PORT: String(bound.port) }).publicUrl;
  console.log(`督办助手 · 本地演练（${cfg.org}，配置 ${configPath}，数据库 ${pgDatabase}）`);
  console.log(`请用浏览器打开 http://${web.host}:${bound.port}/`);
  console.log(`${pg.note}。在网页上选择身份和群，输入命令；拨动时钟看提醒、周报和通报。终端里演练：npm run console。Ctrl-C 退出`);
  const stop = async () => {
    await bound.close();
    await pg.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} else {
  let app: App | undefined;
  let stopping = false;
  // registered before the channels start (connecting can take seconds): a stop request during start-up
  // ends the process at once (nothing is acknowledged before App.open has finished); after it, the
  // channels and the database are closed first
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log.info("duban.stop", {});
    await site?.close();
    await app?.close();
    process.exit(0);
  };
  let site: { close(): Promise<void>; port: number } | undefined;
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  setup.wechaty?.onRooms((rooms) => app?.noteRooms(rooms, systemClock.now()) ?? Promise.resolve());
  const names = setup.channels.map((c) => c.name);
  if (setup.channels.every((c) => c.name === "wecom-app" || c.name === "wecom-webhook"))
    log.warn("duban.send_only", { channels: names, msg: "只配置了只发不收的通道（自建应用、群机器人）：机器人能发提醒、周报和通报，但收不到任何命令；要收命令，请配置智能机器人（WECOM_AIBOT_ID）或 Wechaty" });
  app = await App.open({ cfg, databaseUrl, clock: systemClock, channels: setup.channels, log, evidenceDir }).catch(refuse);
  // the dashboard (/看板 links); the playground is not served next to production channels
  const { createWeb, listen } = await import("./web/server.ts");
  const opened = app;
  site = await listen(createWeb({ duban: opened, now: () => new Date(), evidenceDir, secureCookie: web.publicUrl.startsWith("https:") }), web.host, web.port).catch((e) => {
    log.error("web.listen_failed", { host: web.host, port: web.port, error: String((e as Error).message), check: "DUBAN_WEB_HOST, DUBAN_WEB_PORT", msg: "看板网页无法启动（端口被占用或地址不对）：机器人照常工作，/看板 链接打不开" });
    return undefined;
  });
  // DUBAN_WEB_PORT=0 (any free port): /看板 links name the port really bound
  if (site && !process.env.DUBAN_PUBLIC_URL && !web.port) process.env.DUBAN_PUBLIC_URL = webAddress({ ...process.env, DUBAN_WEB_PORT: String(site.port) }).publicUrl;
  if (site) log.info("web.listening", { url: webAddress().publicUrl, msg: `看板网址 ${webAddress().publicUrl}/看板/（由 /看板 私聊获取登录链接）` });
  // node-cron only triggers; what is due lives in the database
  cron.schedule("* * * * *", () => void app!.tick().catch((e) => log.error("tick.failed", { error: String(e) })));
  log.info("duban.start", { config: configPath, org: cfg.org, channels: names });
}
