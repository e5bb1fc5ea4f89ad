// npm run doctor: what a county IT person checks before (or instead of) starting the bot, in Chinese, one
// line a check — the config, the database, the calendar, each channel's settings and whether the
// platform accepts them. It changes nothing: no migration is applied, no message is sent.
//   - the 自建应用 is asked for a token, each 群机器人 key gets an upload nobody sees (as at start-up);
//   - the 智能机器人 allows one connection per bot: connecting would push a running Duban off it, so its
//     credentials are tried only with `npm run doctor -- --aibot` (stop the bot first);
//   - Wechaty: the variables are checked, the service is not logged in to.
// Exit code 0 when everything needed is in order, 1 otherwise.
import { existsSync } from "node:fs";
import { channelsFromEnv } from "./channels/index.ts";
import { ConfigError, loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { createLogger } from "./core/log.ts";
import { DEFAULT_DATABASE_URL, sqlitePath } from "./db/client.ts";
import { isPostgresUrl, maskUrl } from "./db/pg-url.ts";
import { migrationsUpToDate, readMigrations } from "./db/engine.ts";
import { Calendar } from "./domain/calendar.ts";
import { webAddress } from "./web/auth.ts";

type Line = { ok: boolean | null; what: string; detail: string };
const lines: Line[] = [];
const say = (ok: boolean | null, what: string, detail: string) => lines.push({ ok, what, detail });
const env = process.env;

const configPath = env.DUBAN_CONFIG ?? (existsSync("duban.yaml") ? "duban.yaml" : "examples/duban.example.yaml");
let cfg: Config | undefined;
try {
  cfg = loadConfig(configPath);
  say(true, "配置文件", `${configPath}：${cfg.org}，${cfg.units.length} 个单位，${cfg.members.length} 名成员`);
} catch (e) {
  say(false, "配置文件", e instanceof ConfigError ? e.message : String((e as Error).message ?? e));
}

const url = env.DATABASE_URL || DEFAULT_DATABASE_URL;
if (isPostgresUrl(url)) {
  const shown = maskUrl(url);
  try {
    const { migrationsUpToDatePg, readPgMigrations } = await import("./db/postgres-engine.ts");
    if (await migrationsUpToDatePg(url)) say(true, "数据库", `PostgreSQL ${shown}：可连接，表结构是最新的（${readPgMigrations().migrationDirectories.length} 个迁移都已应用）`);
    else say(null, "数据库", `PostgreSQL ${shown}：可连接，有未应用的迁移：npm run db:deploy 应用（或第一个启动的实例自动应用）`);
  } catch (e) {
    say(false, "数据库", `PostgreSQL ${shown}：${(e as Error).message}（检查 DATABASE_URL、数据库服务是否在运行、用户和密码、pg_hba.conf 是否放行本机）`);
  }
} else
  try {
    const file = sqlitePath(url);
    if (!existsSync(file)) say(null, "数据库", `${file} 还不存在：第一次启动时创建`);
    else if (migrationsUpToDate(file)) say(true, "数据库", `${file}：可读，表结构是最新的（${readMigrations().migrationDirectories.length} 个迁移都已应用）`);
    else say(null, "数据库", `${file}：可读，有未应用的迁移，下次启动时自动应用（此时请只运行一个实例）`);
  } catch (e) {
    say(false, "数据库", `${url}：${(e as Error).message}（检查 DATABASE_URL）`);
  }

if (cfg) {
  const cal = new Calendar(cfg.timezone, cfg.calendar);
  const year = +cal.today(new Date()).slice(0, 4);
  for (const y of [year, year + 1]) {
    if (cal.knowsYear(y)) say(true, "日历", `${y} 年的法定节假日和调休已知`);
    else say(y === year ? false : null, "日历", `${y} 年的节假日还不知道，工作日暂按周一至周五计算：国务院放假通知发布后写进 duban.yaml 的 calendar.extraHolidays / extraWorkdays，或升级督办`);
  }

  // the channels' own start-up checks, their log lines collected here for the one being checked
  let seen: Record<string, unknown>[] = [];
  const log = createLogger("debug", (l) => void seen.push(JSON.parse(l)));
  const setup = await channelsFromEnv(env, cfg, log);
  for (const p of setup.problems) say(false, "通道", p);
  if (!setup.channels.length && !setup.problems.length) say(null, "通道", "没有配置任何生产通道：npm start 是本地演练台（见 README「部署」）");
  const checkAibot = process.argv.includes("--aibot");
  const NAMES: Record<string, string> = { wechaty: "Wechaty", "wecom-aibot": "智能机器人", "wecom-app": "自建应用", "wecom-webhook": "群机器人" };
  for (const ch of setup.channels) {
    const name = NAMES[ch.name] ?? ch.name;
    if (ch.name === "wechaty") {
      const endpoint = env.WECHATY_PUPPET_SERVICE_ENDPOINT?.trim();
      say(endpoint ? true : null, name, endpoint ? `令牌已设置，服务地址 ${endpoint}${env.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT === "true" ? "（不用 TLS）" : ""}；能否登录看启动日志的 wechaty.login` : "设置了 WECHATY_PUPPET_SERVICE_TOKEN，但没有 WECHATY_PUPPET_SERVICE_ENDPOINT：启动时按令牌向 api.chatie.io 查询服务地址，政务外网通常连不上——请向服务商要到 主机:端口 填入");
      continue;
    }
    if (ch.name === "wecom-aibot" && !checkAibot) {
      say(null, name, `WECOM_AIBOT_ID 和 WECOM_AIBOT_SECRET 已设置（Bot ID ${ch.account()}）；凭证是否被接受：先停掉督办再运行 npm run doctor -- --aibot（一个机器人只能有一条长连接）`);
      continue;
    }
    seen = [];
    const started = await ch.start(async () => {}).then(() => true, (e: Error) => e);
    const error = seen.find((l) => l.level === "error");
    const good = seen.find((l) => /ready|connected/.test(String(l.event)) && l.level !== "error");
    const healthy = started === true && !error && (ch.healthy?.() ?? true);
    // what works (a 群机器人 may reach some groups and not others), then what does not, naming the fix
    if (good) say(true, name, String(good.msg ?? "已连通"));
    if (!healthy) {
      const refusal = seen.find((l) => l.level === "error" && l.hint) ?? error;
      say(false, name, String(refusal?.hint ?? refusal?.msg ?? refusal?.error ?? (started instanceof Error ? started.message : "未连通")) + (refusal?.check ? `（检查 ${refusal.check}）` : ""));
    }
    await ch.stop().catch(() => {});
  }
  const web = webAddress();
  say(null, "看板网页", `${web.host}:${web.port}，/看板 链接指向 ${web.publicUrl}${web.publicUrl.startsWith("https:") ? "" : "（给手机用请放在 HTTPS 反向代理后面，并设置 DUBAN_PUBLIC_URL）"}`);
}

const mark = (ok: boolean | null) => (ok === true ? "✓" : ok === false ? "✗" : "·");
console.log("督办 · 部署检查\n");
for (const l of lines) console.log(`${mark(l.ok)} ${l.what}：${l.detail}`);
const bad = lines.filter((l) => l.ok === false).length;
console.log(bad ? `\n有 ${bad} 项需要处理（✗），改好后再运行一次 npm run doctor。` : "\n没有发现问题（· 为提示，不影响运行）。");
process.exit(bad ? 1 : 0);
