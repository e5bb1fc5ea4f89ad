// npm start. The channels switched on by the environment and the config (SPEC §8: Wechaty, the WeCom
// 智能机器人, 自建应用, 群机器人 webhook), side by side on one outbox. None: the local playground — the
// mock chat, the example township and a console where you type as anyone.
import { existsSync } from "node:fs";
import path from "node:path";
import cron from "node-cron";
import { App } from "./app.ts";
import { channelsFromEnv } from "./channels/index.ts";
import { ConfigError, loadConfig } from "./config/load.ts";
import { systemClock } from "./core/clock.ts";
import { createLogger } from "./core/log.ts";
import { DEFAULT_DATABASE_URL } from "./db/client.ts";
import { runConsole } from "./playground/console.ts";

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

const setup = channelsFromEnv(process.env, cfg, log);
if (setup.problems.length) {
  console.error(`通道设置有误，机器人未启动：\n${setup.problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(2);
}

if (!setup.channels.length) {
  await runConsole(cfg, { databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL, configPath, log }).catch(refuse);
} else {
  let app: App | undefined;
  let stopping = false;
  // registered before the channels start (Wechaty's can take 15 s to give up on a silent service): a stop
  // request meanwhile still closes the channels and the database
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log.info("duban.stop", {});
    await app?.close();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  setup.wechaty?.onRooms((rooms) => app?.noteRooms(rooms, systemClock.now()) ?? Promise.resolve());
  const names = setup.channels.map((c) => c.name);
  if (setup.channels.every((c) => c.name === "wecom-app" || c.name === "wecom-webhook"))
    log.warn("duban.send_only", { channels: names, msg: "只配置了只发不收的通道（自建应用、群机器人）：机器人能发提醒、周报和通报，但收不到任何命令；要收命令，请配置智能机器人（WECOM_AIBOT_ID）或 Wechaty" });
  app = await App.open({
    cfg,
    databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
    clock: systemClock,
    channels: setup.channels,
    log,
    evidenceDir: path.resolve(process.env.DUBAN_EVIDENCE_DIR ?? "data/evidence"),
  }).catch(refuse);
  if (stopping) await app.close();
  // node-cron only triggers; what is due lives in the database
  cron.schedule("* * * * *", () => void app!.tick().catch((e) => log.error("tick.failed", { error: String(e) })));
  log.info("duban.start", { config: configPath, org: cfg.org, channels: names });
}
