// Which channels run, from the environment and the config (SPEC §8), in the order the outbox tries them:
// Wechaty, the 智能机器人, the 自建应用, the 群机器人. None: npm start is the local playground.
// This is the one place that knows every channel by name; the core knows none. A channel that is not
// switched on is not even loaded (Wechaty alone takes half a second and 80 MB to import).
import type { Config } from "../config/schema.ts";
import { configuredRoomId } from "../config/schema.ts";
import type { Channel } from "../core/ports.ts";
import type { Logger } from "../core/log.ts";
import type { ServiceChannel } from "./wechaty/service.ts";

export interface ChannelSetup {
  channels: Channel[];
  /** the Wechaty service, when switched on (main binds its groups after login) */
  wechaty?: ServiceChannel;
  /** problems found before connecting anything (a half-set pair of variables): the bot does not start */
  problems: string[];
}

export async function channelsFromEnv(env: NodeJS.ProcessEnv, cfg: Config, log: Logger): Promise<ChannelSetup> {
  const channels: Channel[] = [];
  const problems: string[] = [];
  let wechaty: ServiceChannel | undefined;
  if (env.WECHATY_PUPPET_SERVICE_TOKEN?.trim()) {
    const [{ wechatyServiceFromEnv }, { limitsFrom }] = await Promise.all([import("./wechaty/service.ts"), import("./wechaty/adapter.ts")]);
    wechaty = wechatyServiceFromEnv(env, limitsFrom(cfg), log);
    if (wechaty) channels.push(notWebhookOnly(wechaty.channel));
  }

  const botId = env.WECOM_AIBOT_ID?.trim();
  const secret = env.WECOM_AIBOT_SECRET?.trim();
  const app = env.WECOM_CORP_ID?.trim() || env.WECOM_AGENT_ID?.trim() || env.WECOM_AGENT_SECRET?.trim() ? (await import("./wecom-app/index.ts")).wecomAppOptionsFromEnv(env, log) : undefined;
  const appChannel = app ? (await import("./wecom-app/index.ts")).createWecomAppChannel(app) : undefined;
  if (botId || secret) {
    if (!botId) problems.push("设置了 WECOM_AIBOT_SECRET，但缺少 WECOM_AIBOT_ID（智能机器人的 Bot ID）");
    else if (!secret) problems.push("设置了 WECOM_AIBOT_ID，但缺少 WECOM_AIBOT_SECRET（智能机器人的 Secret）");
    else {
      const { createAibotChannel } = await import("./wecom-aibot/index.ts");
      const byName = new Map(cfg.members.map((m) => [m.name, m.id]));
      const topics = new Map(cfg.rooms.filter((r) => r.chatid).map((r) => [r.chatid!, r.name]));
      channels.push(
        notWebhookOnly(createAibotChannel({
          botId,
          secret,
          wsUrl: env.WECOM_AIBOT_WS_URL?.trim() || undefined,
          log,
          botName: env.WECOM_AIBOT_NAME?.trim() || undefined,
          resolveMention: (name) => byName.get(name),
          topicOf: (chatid) => topics.get(chatid),
          // with a working 自建应用 beside it, people who never wrote to the 智能机器人 are reached by the
          // 自建应用; when that one is not connected (refused, not started), the 智能机器人 tries them itself
          contacts: app ? () => (appChannel?.healthy?.() ? "seen" : "any") : "any",
        })),
      );
    }
  }
  if (appChannel) channels.push(appChannel);

  const hooks = cfg.rooms.filter((r) => r.webhook);
  if (hooks.length)
    channels.push(
      (await import("./wecom-webhook/index.ts")).createWebhookChannel({
        rooms: hooks.map((r) => ({ roomId: configuredRoomId(r)!, key: r.webhook!, name: r.name })),
        base: env.WECOM_WEBHOOK_BASE?.trim() || undefined,
        log,
      }),
    );
  return { channels, wechaty, problems };
}

/** A group known only by its 群机器人 (`webhook:<name>`, see configuredRoomId) is no chat this channel is in. */
function notWebhookOnly(ch: Channel): Channel {
  return { ...ch, canReach: (d) => !(d.target.kind === "room" && d.target.id.startsWith("webhook:")) && ch.canReach(d) };
}
