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

// what to check, from the text of wechaty-puppet-service's gRPC errors
const WECHATY_HINT = {
  token: "令牌被拒绝：请检查 WECHATY_PUPPET_SERVICE_TOKEN 是否与服务商给的一致、是否过期",
  tls: "TLS 设置与服务端不一致：服务端不用 TLS 时设 WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true，用 TLS 时去掉这个变量",
  endpoint: "连不上 puppet 服务：请检查 WECHATY_PUPPET_SERVICE_ENDPOINT（主机:端口）是否正确、服务是否在运行、防火墙是否放行，以及 WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT 是否与服务端一致（服务端不用 TLS 时设为 true）",
};
function wechatyHint(error: string): string | undefined {
  if (/UNAUTHENTICATED|TOKEN/i.test(error)) return WECHATY_HINT.token;
  if (/SSL|TLS|wrong version number|handshake/i.test(error)) return WECHATY_HINT.tls;
  if (/UNAVAILABLE|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|DEADLINE_EXCEEDED|Failed to connect/i.test(error)) return WECHATY_HINT.endpoint;
  return undefined;
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
  // A refused token, a refused connection or a TLS mismatch arrives as an `error` event within a second of
  // bot.start(); a service that accepts and never answers shows only as no login. Both name what to check.
  if (!process.env.WECHATY_PUPPET_SERVICE_ENDPOINT) log.warn("wechaty.no_endpoint", { hint: "未设置 WECHATY_PUPPET_SERVICE_ENDPOINT：将按令牌向 api.chatie.io 查询服务地址，而本版本的这条查询路径会使进程直接退出；请向服务商要到 主机:端口 填入 WECHATY_PUPPET_SERVICE_ENDPOINT" });
  let scanned = false;
  let lastHint: string | undefined;
  bot.on("scan", (qrcode, status) => {
    scanned = true;
    log.info("wechaty.scan", { status, qrcode });
  });
  bot.on("login", async (user) => {
    log.info("wechaty.login", { user: user.id, name: user.name() });
    const rooms = await bot.Room.findAll();
    await app?.noteRooms(await Promise.all(rooms.map(async (r) => ({ id: r.id, topic: await r.topic() }))), systemClock.now());
  });
  bot.on("logout", (user, reason) => log.warn("wechaty.logout", { user: user.id, reason }));
  bot.on("error", (e) => {
    const error = String((e as Error)?.message ?? e);
    lastHint = wechatyHint(error) ?? lastHint;
    log.error("wechaty.error", { error, hint: wechatyHint(error) });
  });
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
  setTimeout(() => {
    if (!bot.isLoggedIn) log.error("wechaty.not_logged_in", { after: "10s", hint: scanned ? "已连上服务，但账号尚未登录：请用 wechaty.scan 中的二维码扫码，或到服务商后台登录" : lastHint ?? WECHATY_HINT.endpoint });
  }, 10_000).unref();
  // before bot.start(), which can take 15 s to give up on a silent service: a SIGTERM meanwhile still
  // stops the bot and closes the database
  const shutdown = async () => {
    // a puppet service that never answers makes bot.stop() wait 15 s: the database is closed regardless
    await Promise.race([bot.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3_000).unref())]);
    await app?.close();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  await bot.start();
}
