// npm start. With WECHATY_PUPPET_SERVICE_TOKEN: production on wechaty-puppet-service. Without: the
// local playground — the mock puppet, the example township and a console where you type as anyone.
import { existsSync } from "node:fs";
import path from "node:path";
import cron from "node-cron";
import { WechatyBuilder } from "wechaty";
import { App } from "./app.ts";
import { ConfigError, loadConfig } from "./config/load.ts";
import { systemClock } from "./core/clock.ts";
import { createLogger } from "./core/log.ts";
import { DEFAULT_DATABASE_URL } from "./db/client.ts";
import { limitsFrom, onMessages, wechatyTransport } from "./transport/wechaty.ts";
import { runConsole } from "./transport/console.ts";

const token = process.env.WECHATY_PUPPET_SERVICE_TOKEN;
const configPath = process.env.DUBAN_CONFIG ?? (existsSync("duban.yaml") ? "duban.yaml" : "examples/duban.example.yaml");
const log = createLogger((process.env.LOG_LEVEL as any) ?? (token ? "info" : "warn"));

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

if (!token) {
  await runConsole(cfg, { databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL, configPath, log }).catch(refuse);
} else {
  const bot = WechatyBuilder.build({
    name: "duban",
    puppet: "wechaty-puppet-service",
    puppetOptions: { token, endpoint: process.env.WECHATY_PUPPET_SERVICE_ENDPOINT },
  });
  let app: App | undefined;
  bot.on("scan", (qrcode, status) => log.info("wechaty.scan", { status, qrcode }));
  bot.on("login", async (user) => {
    log.info("wechaty.login", { user: user.id, name: user.name() });
    const rooms = await bot.Room.findAll();
    await app?.noteRooms(await Promise.all(rooms.map(async (r) => ({ id: r.id, topic: await r.topic() }))), systemClock.now());
  });
  bot.on("logout", (user, reason) => log.warn("wechaty.logout", { user: user.id, reason }));
  bot.on("error", (e) => log.error("wechaty.error", { error: String((e as Error)?.message ?? e) }));
  onMessages(bot, async (m) => app?.handle(m), (_id, e) => e && log.error("message.failed", { error: String((e as Error)?.stack ?? e) }));
  app = await App.open({
    cfg,
    databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
    clock: systemClock,
    transport: wechatyTransport(bot, limitsFrom(cfg)),
    log,
    selfId: () => (bot.isLoggedIn ? bot.currentUser.id : "self"),
    botNames: () => (bot.isLoggedIn ? [bot.currentUser.name()] : []),
    evidenceDir: path.resolve(process.env.DUBAN_EVIDENCE_DIR ?? "data/evidence"),
  }).catch(refuse);
  // node-cron only triggers; what is due lives in the database
  cron.schedule("* * * * *", () => void app!.tick().catch((e) => log.error("tick.failed", { error: String(e) })));
  log.info("duban.start", { config: configPath, org: cfg.org });
  await bot.start();
  // bot.start() resolves even when the service is unreachable or the token is wrong: say so early
  setTimeout(() => {
    if (!bot.isLoggedIn) log.error("wechaty.not_logged_in", { after: "20s", hint: "请检查 WECHATY_PUPPET_SERVICE_TOKEN / ENDPOINT 是否正确、服务是否可达" });
  }, 20_000).unref();
  const shutdown = async () => {
    await bot.stop().catch(() => {});
    await app?.close();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
