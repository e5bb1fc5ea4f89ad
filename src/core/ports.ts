// What a channel (a way Duban is reached: Wechaty, the WeCom 智能机器人, a 自建应用, a 群机器人 webhook,
// the mock chat) is to the rest of Duban. A channel folder (src/channels/<name>/) imports this file and
// nothing else of the core; the core knows no channel by name. SPEC §8.
//
// Inbound: a channel turns what its platform delivers into an `Inbound` and hands it to `deliver`; the
// pipeline dedupes it on `channel:account:messageId`. Outbound: the outbox routes each row to the first
// configured channel that `canReach` it and `carries` its content, and calls `send`.

/** A chat to send to: a group (room) or one person (contact), by the platform's own id. */
export type Target = { kind: "room"; id: string } | { kind: "contact"; id: string };

export interface ChannelLimits {
  /** UTF-8 bytes of one text message, counting what the channel adds itself (see `overhead`) */
  maxBytes: number;
  /** messages per target per window */
  perTarget: number;
  windowMs: number;
  /** can it send files and images (a ledger .xlsx, a chart .png)? */
  files: boolean;
}

/** One message in, as every channel gives it to the pipeline. */
export interface Inbound {
  /** the channel's name (`wechaty`, `wecom-aibot`, `mock` …) and the bot account it arrived on */
  channel: string;
  account: string;
  /** the platform's message id: with channel and account, the dedupe key */
  id: string;
  chat: { kind: "room"; id: string; topic: string } | { kind: "private" };
  senderId: string;
  senderName: string;
  text?: string;
  /** saves the image to `fileBase` + its extension and returns that path (may throw; times out upstream) */
  image?: { save(fileBase: string): Promise<string> };
  /** people @-mentioned in the message, resolved to chat ids where the platform says so */
  mentioned: { id: string; name: string }[];
  /** when it was sent (the platform's timestamp) */
  sentAt?: Date;
  /** a handle for answering this very message where the platform has one (the aibot's req_id) */
  replyHandle?: string;
}

/** One message out. */
export interface Delivery {
  target: Target;
  text?: string;
  /** a file's path (xlsx, png); a channel that cannot carry files never gets one */
  file?: string;
  /** chat ids to @-mention (groups only) */
  mentions: string[];
  /** the inbound message's reply handle, when this answers it */
  replyHandle?: string;
}

export interface Channel {
  readonly name: string;
  readonly limits: ChannelLimits;
  /** the bot account this channel instance speaks as (part of the dedupe key) */
  account(): string;
  /** the names the bot goes by in chats on this channel (an `@督办助手` before a command is the bot's) */
  botNames?(): string[];
  /** bytes the platform puts before the text for these mentions (e.g. `@姓名 ` per person) */
  overhead?(target: Target, mentions: string[]): number | Promise<number>;
  /** is it connected and accepted right now (for /healthz; absent: as far as it knows, yes) */
  healthy?(): boolean;
  /** connect; inbound messages go to `deliver` (a send-only channel never calls it) */
  start(deliver: (m: Inbound) => Promise<void>): Promise<void>;
  /** can this channel reach that chat at all (and carry a file, when `d.file` is set)? */
  canReach(d: Pick<Delivery, "target" | "file">): boolean;
  /** send; throws DefiniteSendFailure when it surely did not go out, anything else when it may have */
  send(d: Delivery): Promise<void>;
  stop(): Promise<void>;
}

/** Thrown by a channel when the message certainly did not go out (safe to retry or to route elsewhere). */
export class DefiniteSendFailure extends Error {}
