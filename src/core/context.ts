// The one object a command handler gets: who, where, when, the open transaction and how to answer.
import type { Config } from "../config/schema.ts";
import type { Tx } from "../db/client.ts";
import type { Calendar, Ymd } from "../domain/calendar.ts";
import type { Items } from "../domain/items.ts";
import type { Org, Person } from "../domain/org.ts";
import { personAudience, roomAudience, SENT_PRIVATELY, tooMuchFor, type Audience, type SeenItem } from "../domain/visibility.ts";
import type { CommandDef } from "./command.ts";
import type { OutboxBatch, Outgoing, Target, Via } from "./outbox.ts";

export type Chat = { kind: "room"; id: string; topic: string } | { kind: "private" };

export interface Ctx {
  now: Date;
  today: Ymd;
  cfg: Config;
  org: Org;
  cal: Calendar;
  sender: Person;
  chat: Chat;
  tx: Tx;
  /** bot account + transport message id */
  messageKey: string;
  items: Items;
  /** where generated files (ledger, charts) are written */
  filesDir: string;
  /** every command, for /帮助 */
  commands: readonly CommandDef[];
  /** answer the sender where they asked: in the group with an @-mention, or privately (`privately`: always) */
  reply(text: string, opts?: { ephemeral?: boolean; privately?: boolean }): Promise<void>;
  /** Answer the sender with a file (a ledger, a draft circular's chart), like reply: not held back by quiet hours. */
  replyFile(file: string, opts?: { privately?: boolean }): Promise<void>;
  /**
   * Answer about items, rendered for the asker (`ctx.me`): in the group when the group may see as much of
   * every one of them (SPEC §1), else privately with the one line `详情已私信发给你` in the group.
   */
  replyAbout(items: readonly SeenItem[], text: string, opts?: { ephemeral?: boolean }): Promise<void>;
  /** the asker, as an audience (render what they may see) */
  me: Audience;
  /** this group's audience (null in a private chat) */
  here(): Promise<Audience | null>;
  /** anything else the command has to say to someone */
  send(o: Outgoing): Promise<void>;
}

export function replyTarget(chat: Chat, senderId: string): { target: Target; mentions: string[] } {
  return chat.kind === "room" ? { target: { kind: "room", id: chat.id }, mentions: [senderId] } : { target: { kind: "contact", id: senderId }, mentions: [] };
}

/**
 * The way back for an answer to this message: its channel and account, and its reply handle only when
 * the answer goes to the same chat (a private answer to a group message is not a reply to it).
 */
export function viaFor(via: Via | undefined, sameChat: boolean): Via | undefined {
  if (!via?.channel) return undefined;
  return { channel: via.channel, account: via.account, replyHandle: sameChat ? via.replyHandle : undefined };
}

export function makeCtx(base: Omit<Ctx, "reply" | "replyFile" | "send" | "replyAbout" | "me" | "here">, outbox: OutboxBatch, via?: Via): Ctx {
  const send = async (o: Outgoing) => {
    outbox.add(o);
  };
  const me = personAudience(base.sender);
  let room: Audience | null | undefined;
  const here = async (): Promise<Audience | null> => {
    if (base.chat.kind !== "room") return null;
    if (room === undefined) {
      const r = await base.tx.room.findUnique({ where: { id: base.chat.id } });
      room = roomAudience(base.cfg, { id: base.chat.id, topic: base.chat.topic, unitName: r?.unitName ?? null, circularFull: r?.circularFull ?? false });
    }
    return room;
  };
  const ctx: Ctx = {
    ...base,
    send,
    me,
    here,
    replyAbout: async (items, text, opts) => {
      const group = await here();
      if (group && tooMuchFor(base.org, me, group, items)) {
        await ctx.reply(text, { ...opts, privately: true });
        await ctx.reply(SENT_PRIVATELY);
      } else await ctx.reply(text, opts);
    },
    reply: async (text, opts) => {
      const { target, mentions } = replyTarget(opts?.privately ? { kind: "private" } : base.chat, base.sender.id);
      await send({ target, text, mentions, ephemeral: opts?.ephemeral, direct: true, via: viaFor(via, !opts?.privately || base.chat.kind === "private") });
    },
    replyFile: async (file, opts) => {
      const { target } = replyTarget(opts?.privately ? { kind: "private" } : base.chat, base.sender.id);
      await send({ target, file, direct: true, via: viaFor(via, !opts?.privately || base.chat.kind === "private") });
    },
  };
  return ctx;
}
