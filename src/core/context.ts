// The one object a command handler gets: who, where, when, the open transaction and how to answer.
import type { Config } from "../config/schema.ts";
import type { Tx } from "../db/client.ts";
import type { Calendar, Ymd } from "../domain/calendar.ts";
import type { Items } from "../domain/items.ts";
import type { Org, Person } from "../domain/org.ts";
import type { CommandDef } from "./command.ts";
import type { OutboxBatch, Outgoing, Target } from "./outbox.ts";

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
  /** answer the sender where they asked: in the group with an @-mention, or privately */
  reply(text: string, opts?: { ephemeral?: boolean }): Promise<void>;
  /** anything else the command has to say to someone */
  send(o: Outgoing): Promise<void>;
}

export function replyTarget(chat: Chat, senderId: string): { target: Target; mentions: string[] } {
  return chat.kind === "room" ? { target: { kind: "room", id: chat.id }, mentions: [senderId] } : { target: { kind: "contact", id: senderId }, mentions: [] };
}

export function makeCtx(base: Omit<Ctx, "reply" | "send">, outbox: OutboxBatch): Ctx {
  const send = async (o: Outgoing) => {
    outbox.add(o);
  };
  return {
    ...base,
    send,
    reply: async (text, opts) => {
      const { target, mentions } = replyTarget(base.chat, base.sender.id);
      await send({ target, text, mentions, ephemeral: opts?.ephemeral });
    },
  };
}
