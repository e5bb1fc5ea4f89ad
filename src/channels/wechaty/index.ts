// Wechaty as a channel (SPEC §8): today's adapter (src/transport/wechaty.ts: lookups, @-mention overhead,
// files, messages in the puppet's order) behind the Channel interface of src/core/ports.ts. Name
// `wechaty`, account = the logged-in bot's id. It reaches every group the bot is in and every contact it
// can find (a chat it cannot find is a definite failure, retried); it carries files.
import type { Wechaty } from "wechaty";
import type { Channel, Inbound } from "../../core/ports.ts";
import type { TransportLimits } from "../../core/sender.ts";
import { LOOKUP_TIMEOUT_MS, onMessages, WECOM_LIMITS, wechatyTransport } from "../../transport/wechaty.ts";

export interface WechatyChannelOptions {
  /** `wechaty` unless told otherwise */
  name?: string;
  limits?: TransportLimits;
  lookupTimeoutMs?: number;
  /** start() also starts the bot and stop() stops it (production); the mock world runs its own bot */
  ownsBot?: boolean;
  /** after each inbound message (err: it failed) */
  done?: (id: string, err?: unknown) => void;
}

export function createWechatyChannel(bot: Wechaty, o: WechatyChannelOptions = {}): Channel {
  const name = o.name ?? "wechaty";
  const t = wechatyTransport(bot, o.limits ?? WECOM_LIMITS, o.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS);
  const account = (): string => {
    try {
      return bot.isLoggedIn ? bot.currentUser.id : "";
    } catch {
      return "";
    }
  };
  return {
    name,
    limits: { ...t.limits, files: true },
    account,
    overhead: t.overhead ? (target, mentions) => t.overhead!(target, mentions) : undefined,
    async start(deliver: (m: Inbound) => Promise<void>) {
      onMessages(bot, (m) => deliver({ ...m, channel: name, account: account() }), o.done);
      if (o.ownsBot) await bot.start();
    },
    canReach: () => true,
    send: (d) => (d.file ? t.sendFile(d.target, d.file) : t.sendText(d.target, d.text ?? "", d.mentions)),
    async stop() {
      if (o.ownsBot) await bot.stop().catch(() => {});
    },
  };
}
