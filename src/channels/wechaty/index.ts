// Wechaty as a channel (SPEC §8): the adapter (adapter.ts: lookups, @-mention overhead, files, messages
// in the puppet's order) behind the Channel interface of src/core/ports.ts. Name `wechaty`, account = the
// logged-in bot's id. It reaches every group the bot is in and every contact it can find (a chat it
// cannot find is a definite failure, retried); it carries files.
import type { Wechaty } from "wechaty";
import type { Channel, Inbound } from "../../core/ports.ts";
import { LOOKUP_TIMEOUT_MS, onMessages, WECOM_LIMITS, wechatySender, type TextLimits } from "./adapter.ts";

export { limitsFrom, WECOM_LIMITS, type TextLimits } from "./adapter.ts";

export interface WechatyChannelOptions {
  /** `wechaty` unless told otherwise (the mock chat is `mock`) */
  name?: string;
  limits?: TextLimits;
  lookupTimeoutMs?: number;
  /** start() also starts the bot and stop() stops it (production); the mock world runs its own bot */
  ownsBot?: boolean;
  /** after each inbound message (err: it failed), also for one that came while the channel was stopped */
  done?: (id: string, err?: unknown) => void;
}

export function createWechatyChannel(bot: Wechaty, o: WechatyChannelOptions = {}): Channel {
  const name = o.name ?? "wechaty";
  const t = wechatySender(bot, o.limits ?? WECOM_LIMITS, o.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS);
  const account = (): string => {
    try {
      return bot.isLoggedIn ? bot.currentUser.id : "";
    } catch {
      return "";
    }
  };
  // the puppet is listened to once; a stopped channel (a bot restarted on the same puppet, as the replay
  // harness does) hands nothing on, and a started one hands on to the newest `deliver`
  let deliver: ((m: Inbound) => Promise<void>) | null = null;
  let listening = false;
  return {
    name,
    limits: { ...t.limits, files: true },
    account,
    botNames() {
      try {
        return bot.isLoggedIn ? [bot.currentUser.name()].filter(Boolean) : [];
      } catch {
        return [];
      }
    },
    overhead: (target, mentions) => t.overhead(target, mentions),
    async start(d: (m: Inbound) => Promise<void>) {
      deliver = d;
      if (!listening) {
        listening = true;
        onMessages(bot, async (m) => deliver?.({ ...m, channel: name, account: account() }), o.done);
      }
      if (o.ownsBot) await bot.start();
    },
    healthy: () => {
      try {
        return bot.isLoggedIn;
      } catch {
        return false;
      }
    },
    canReach: () => true,
    send: (d) => (d.file ? t.sendFile(d.target, d.file) : t.sendText(d.target, d.text ?? "", d.mentions)),
    async stop() {
      deliver = null;
      if (o.ownsBot) await bot.stop().catch(() => {});
    },
  };
}
