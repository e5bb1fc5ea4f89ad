// Wechaty in production: wechaty-puppet-service, switched on by WECHATY_PUPPET_SERVICE_TOKEN (SPEC §8).
// What can go wrong shows in the log within seconds, naming the variable to check: a refused token, a
// refused connection or a TLS mismatch arrive as an `error` event within a second of bot.start(); a
// service that accepts and never answers shows only as no login after 10 s.
import { WechatyBuilder, type Wechaty } from "wechaty";
import { WechatyToken } from "wechaty-token";
import type { Channel } from "../../core/ports.ts";
import type { ChannelLog } from "../wecom-common/http.ts";
import { createWechatyChannel, type TextLimits } from "./index.ts";

// what to check, from the text of wechaty-puppet-service's gRPC errors
const HINT = {
  token: "令牌被拒绝：请检查 WECHATY_PUPPET_SERVICE_TOKEN 是否与服务商给的一致、是否过期",
  tls: "TLS 设置与服务端不一致：服务端不用 TLS 时设 WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true，用 TLS 时去掉这个变量",
  discover: "未设置 WECHATY_PUPPET_SERVICE_ENDPOINT，按令牌查询服务地址也没有结果：请向服务商要到 主机:端口 填入 WECHATY_PUPPET_SERVICE_ENDPOINT（政务外网通常连不上查询服务 api.chatie.io）",
  endpoint: "连不上 puppet 服务：请检查 WECHATY_PUPPET_SERVICE_ENDPOINT（主机:端口）是否正确、服务是否在运行、防火墙是否放行，以及 WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT 是否与服务端一致（服务端不用 TLS 时设为 true）",
};
function hintFor(error: string): string | undefined {
  if (/UNAUTHENTICATED|TOKEN/i.test(error)) return HINT.token;
  if (/SSL|TLS|wrong version number|handshake/i.test(error)) return HINT.tls;
  if (/UNAVAILABLE|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|DEADLINE_EXCEEDED|Failed to connect/i.test(error)) return HINT.endpoint;
  return undefined;
}

export interface ServiceChannel {
  channel: Channel;
  bot: Wechaty;
  /** after login: the groups the bot is in (their names bind them to units) */
  onRooms(f: (rooms: { id: string; topic: string }[]) => Promise<void>): void;
}

/** The channel, or undefined when WECHATY_PUPPET_SERVICE_TOKEN is not set. */
export function wechatyServiceFromEnv(env: NodeJS.ProcessEnv, limits: TextLimits, log: ChannelLog): ServiceChannel | undefined {
  const token = env.WECHATY_PUPPET_SERVICE_TOKEN?.trim();
  if (!token) return undefined;
  const endpoint = env.WECHATY_PUPPET_SERVICE_ENDPOINT?.trim() || undefined;
  // The puppet reads its options when it starts: an endpoint found by the token (below) is filled in then.
  const puppetOptions: { token: string; endpoint?: string } = { token, endpoint };
  const bot = WechatyBuilder.build({ name: "duban", puppet: "wechaty-puppet-service", puppetOptions });
  let scanned = false;
  let lastHint: string | undefined;
  let roomsTo: ((rooms: { id: string; topic: string }[]) => Promise<void>) | undefined;
  bot.on("scan", (qrcode, status) => {
    scanned = true;
    log.info("wechaty.scan", { status, qrcode });
  });
  bot.on("login", async (user) => {
    log.info("wechaty.login", { user: user.id, name: user.name() });
    const rooms = await bot.Room.findAll();
    await roomsTo?.(await Promise.all(rooms.map(async (r) => ({ id: r.id, topic: await r.topic() }))));
  });
  bot.on("logout", (user, reason) => log.warn("wechaty.logout", { user: user.id, reason }));
  bot.on("error", (e) => {
    const error = String((e as Error)?.message ?? e);
    lastHint = hintFor(error) ?? lastHint;
    log.error("wechaty.error", { error, hint: hintFor(error) });
  });
  const inner = createWechatyChannel(bot, { limits, done: (_id, e) => e && log.error("message.failed", { error: String((e as Error)?.stack ?? e) }) });
  const channel: Channel = {
    ...inner,
    async start(deliver) {
      // the bot starts in the background: bot.start() can take 15 s to give up on a silent service,
      // and the other channels must not wait for it
      await inner.start(deliver);
      setTimeout(() => {
        if (!bot.isLoggedIn)
          log.error("wechaty.not_logged_in", { after: "10s", hint: scanned ? "已连上服务，但账号尚未登录：请用 wechaty.scan 中的二维码扫码，或到服务商后台登录" : lastHint ?? HINT.endpoint });
      }, 10_000).unref();
      void (async () => {
        // Without an endpoint, wechaty-puppet-service would ask for it through its own gRPC resolver, which
        // under @grpc/grpc-js 1.14 throws outside any promise and ends the process, whatever the answer. So
        // the address is asked for here (the same HTTPS query), and the bot is started only with one.
        if (!puppetOptions.endpoint) {
          const authority = env.WECHATY_PUPPET_SERVICE_AUTHORITY?.trim() || "api.chatie.io";
          const found = await discoverEndpoint(token, authority);
          if (typeof found !== "string") {
            lastHint = HINT.discover;
            log.error("wechaty.error", { error: `按令牌向 ${authority} 查询服务地址失败：${found.error}`, hint: HINT.discover });
            return;
          }
          puppetOptions.endpoint = found;
          log.info("wechaty.discovered", { endpoint: found });
        }
        await bot.start();
      })().catch((e) => log.error("wechaty.error", { error: String((e as Error)?.message ?? e), hint: hintFor(String(e)) }));
    },
    async stop() {
      await inner.stop();
      // a puppet service that never answers makes bot.stop() wait 15 s: give it 3
      await Promise.race([bot.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3_000).unref())]);
    },
  };
  return { channel, bot, onRooms: (f) => (roomsTo = f) };
}

/** The puppet service's host:port, as the token's authority gives it (within 10 s), or why not. */
async function discoverEndpoint(token: string, authority: string): Promise<string | { error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ error: string }>((r) => (timer = setTimeout(() => r({ error: "10 秒内没有回答" }), 10_000)));
  try {
    const found = await Promise.race([new WechatyToken({ token, authority }).discover(), timeout]);
    if (found && "host" in found && found.host && found.port) return `${found.host}:${found.port}`;
    return found && "error" in found ? found : { error: "查询服务不认识这个令牌，或无法连接" };
  } catch (e) {
    return { error: String((e as Error)?.message ?? e) };
  } finally {
    clearTimeout(timer);
  }
}
