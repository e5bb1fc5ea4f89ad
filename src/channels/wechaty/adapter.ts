// The Wechaty adapter: the only place that knows Wechaty. Inbound: a Wechaty message → Inbound (without
// the channel's name and account, which index.ts adds). Outbound: text with @-mentions, and files.
import { readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { FileBox } from "file-box";
import { types, type Wechaty } from "wechaty";
import { DefiniteSendFailure, type ChannelLimits, type Inbound, type Target } from "../../core/ports.ts";
import { utf8Bytes } from "../../core/text.ts";
import { TimeoutError, withTimeout } from "../../core/timeout.ts";

/** Text limits of a chat platform (files: see ChannelLimits). */
export type TextLimits = Omit<ChannelLimits, "files">;
/** A message as this adapter reads it: an Inbound but for the channel's name and account. */
export type WechatyInbound = Omit<Inbound, "channel" | "account">;

/** What the Wechaty channel sends with (index.ts). */
export interface WechatySender {
  readonly limits: TextLimits;
  /** UTF-8 bytes room.say puts before the text: `@name` + U+2005 per mentioned contact, and a space */
  overhead(target: Target, mentions: string[]): Promise<number>;
  sendText(target: Target, text: string, mentions: string[]): Promise<void>;
  sendFile(target: Target, path: string): Promise<void>;
}

/** WeCom text messages are safe under 2,048 bytes; 20 messages a minute per chat. */
export const WECOM_LIMITS: TextLimits = { maxBytes: 2000, perTarget: 20, windowMs: 60_000 };

export function limitsFrom(cfg: { sending: { maxBytes: number; perTargetPerMinute: number } }): TextLimits {
  return { maxBytes: cfg.sending.maxBytes, perTarget: cfg.sending.perTargetPerMinute, windowMs: 60_000 };
}

/** Looking up a group or a contact before sending: nothing has been said yet, so running out is definite. */
export const LOOKUP_TIMEOUT_MS = 15_000;
/** Wechaty's separator after each `@name` of a mention (room.say). */
const AT_SEPARATOR = "\u2005";

export function wechatySender(bot: Wechaty, limits: TextLimits = WECOM_LIMITS, lookupTimeoutMs = LOOKUP_TIMEOUT_MS): WechatySender {
  // a lookup that does not answer: nothing was sent, safe to retry
  const lookup = <T,>(p: Promise<T>, what: string) =>
    withTimeout(p, lookupTimeoutMs, what).catch((e) => {
      throw e instanceof TimeoutError ? new DefiniteSendFailure(e.message) : e;
    });
  const room = async (id: string) => {
    const r = await lookup(bot.Room.find({ id }), "查找群");
    if (!r) throw new DefiniteSendFailure(`群 ${id} 不存在或机器人不在群内`);
    return r;
  };
  const contact = async (id: string) => {
    const c = await lookup(bot.Contact.find({ id }), "查找联系人");
    if (!c) throw new DefiniteSendFailure(`联系人 ${id} 不存在`);
    return c;
  };
  const people = async (ids: string[]) => (await lookup(Promise.all(ids.map((id) => bot.Contact.find({ id }))), "查找被@的成员")).filter((c) => !!c);
  /** What room.say puts before the text: `@name` (the group alias, else the name) per contact, joined by U+2005, then a space. */
  const prefix = async (r: Awaited<ReturnType<typeof room>>, who: Awaited<ReturnType<typeof people>>) => {
    if (!who.length) return "";
    const names = await lookup(Promise.all(who.map(async (c) => "@" + ((await r.alias(c)) || c.name()))), "查找被@成员的群昵称");
    return names.join(AT_SEPARATOR) + " ";
  };
  return {
    limits,
    async overhead(target: Target, mentions: string[]) {
      if (target.kind !== "room" || !mentions.length) return 0;
      const r = await room(target.id);
      return utf8Bytes(await prefix(r, await people(mentions)));
    },
    async sendText(target: Target, text: string, mentions: string[]) {
      if (target.kind === "room") {
        const r = await room(target.id);
        await r.say(text, ...(await people(mentions)));
      } else {
        await (await contact(target.id)).say(text);
      }
    },
    async sendFile(target: Target, file: string) {
      // base64 FileBoxes serialize through every puppet (the mock, and puppet-service over gRPC)
      const box = FileBox.fromBase64(readFileSync(file).toString("base64"), path.basename(file));
      if (target.kind === "room") await (await room(target.id)).say(box);
      else await (await contact(target.id)).say(box);
    },
  };
}

/** The message's own time, when the puppet gives a plausible one. */
function sentAt(msg: any): Date | undefined {
  try {
    const d = msg.date() as Date;
    return d instanceof Date && d.getTime() > Date.UTC(2000, 0, 1) ? d : undefined;
  } catch {
    return undefined;
  }
}

/** Normalize a Wechaty message. Returns null for the bot's own messages and kinds we do not read. */
export async function toInbound(bot: Wechaty, msg: any): Promise<WechatyInbound | null> {
  if (msg.self()) return null;
  const type = msg.type();
  if (type !== types.Message.Text && type !== types.Message.Image) return null;
  const talker = msg.talker();
  const room = msg.room();
  const base = {
    id: msg.id as string,
    chat: room ? { kind: "room" as const, id: room.id as string, topic: (await room.topic()) as string } : { kind: "private" as const },
    senderId: talker.id as string,
    senderName: (talker.name() as string) || talker.id,
    sentAt: sentAt(msg),
  };
  if (type === types.Message.Image) {
    return {
      ...base,
      mentioned: [],
      image: {
        // (the pipeline times the download out; a late one is removed there)
        async save(fileBase: string) {
          const box = await msg.toFileBox();
          const ext = (path.extname(box.name || "").toLowerCase().match(/^\.(jpe?g|png|gif|webp|heic|bmp)$/) ?? [".jpg"])[0];
          const file = fileBase + ext;
          // written under a temporary name: a download that breaks off never leaves a file that looks whole
          const partial = fileBase + ".part";
          try {
            await box.toFile(partial, true);
            renameSync(partial, file);
          } finally {
            rmSync(partial, { force: true });
          }
          return file;
        },
      },
    };
  }
  const mentioned = room ? (await msg.mentionList()).map((c: any) => ({ id: c.id as string, name: c.name() as string })) : [];
  return { ...base, text: msg.text() as string, mentioned };
}

/**
 * Subscribe to incoming messages, handled strictly in the order the puppet delivered them. Wechaty's own
 * `message` event fires after each message's payload has loaded, so a private message can overtake an
 * earlier group message; we listen on the puppet and load each message inside one chain instead.
 */
export function onMessages(bot: Wechaty, handle: (m: WechatyInbound) => Promise<unknown>, done?: (id: string, err?: unknown) => void): void {
  let chain: Promise<void> = Promise.resolve();
  const listen = (puppet: any) => puppet.on("message", ({ messageId }: { messageId: string }) => {
    chain = chain.then(async () => {
      try {
        const msg = await bot.Message.find({ id: messageId });
        const inbound = msg ? await toInbound(bot, msg) : null;
        if (inbound) await handle(inbound);
        done?.(messageId);
      } catch (e) {
        done?.(messageId, e);
      }
    });
  });
  // the puppet exists once the bot has started
  let attached = false;
  try {
    listen(bot.puppet);
    attached = true;
  } catch {
    /* not yet */
  }
  if (!attached) bot.once("puppet" as any, listen);
}
