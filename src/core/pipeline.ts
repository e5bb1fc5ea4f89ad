// One way through for every message:
//   normalize (transport adapter) → claim the message key (dedupe, in the same transaction) → parse →
//   authorize → handler in one DB transaction (item + events + outbox rows) → commit → sender.
// A reply exists only as an outbox row of the committed transaction: nothing is acknowledged before
// it is durable, and a rolled-back command says nothing but its refusal.
import { createHash } from "node:crypto";
import path from "node:path";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import type { Config } from "../config/schema.ts";
import { isUniqueViolation, snapshot, WRITE_TX, type Db, type Tx } from "../db/client.ts";
import type { Calendar } from "../domain/calendar.ts";
import { Items } from "../domain/items.ts";
import type { Org, Person } from "../domain/org.ts";
import { allowed, makeResolvers, RULE_TEXT, type CommandDef, type ResolveScope } from "./command.ts";
import type { z } from "zod";
import { makeCtx, replyTarget, viaFor, type Chat } from "./context.ts";
import { UserError } from "./errors.ts";
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";
import { insertOutgoing, OutboxBatch } from "./outbox.ts";
import { addressesBot, parseCommand } from "./parse.ts";
import type { Inbound } from "./ports.ts";
import type { Registry } from "./registry.ts";
import { utf8Bytes } from "./text.ts";
import { TimeoutError, withTimeout } from "./timeout.ts";

/**
 * A message as a channel hands it over (src/core/ports.ts). `channel` and `account` may be left out by
 * code that calls the app directly (tests, fixtures): such messages are keyed as channel `direct`.
 */
export type InboundMessage = Omit<Inbound, "channel" | "account"> & Partial<Pick<Inbound, "channel" | "account">>;

export type Outcome = "ignored" | "duplicate" | "handled" | "refused";

/** Longest message text we accept (WeCom's own limit is about 2,000 characters). */
export const MAX_TEXT_BYTES = 8_000;
/** Evidence photos count for a rectification sent within this window, by the same person in the same chat. */
export const EVIDENCE_WINDOW_MS = 10 * 60_000;
/** How long a photo download may take. */
export const DOWNLOAD_TIMEOUT_MS = 60_000;

class Duplicate extends Error {}

/**
 * A message's transaction waits for the one before it (a scheduled job may hold the database for up to
 * its own 120 s limit) instead of failing after Prisma's default 2 s — which would drop the message.
 */
const TX = WRITE_TX;

export interface PipelineDeps {
  db: Db;
  /** the read-only connection: commands' long reads (prepare) run on a snapshot of it */
  read: Db;
  cfg: Config;
  org: Org;
  cal: Calendar;
  clock: Clock;
  registry: Registry;
  log: Logger;
  /** the names the bot goes by in chats (an `@督办助手` before a command) */
  botNames: () => string[];
  evidenceDir: string;
  filesDir: string;
  /** test hook: runs inside the transaction after the handler, before commit */
  beforeCommit?: (tx: Tx) => Promise<void>;
}

export class Pipeline {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly knownRooms = new Map<string, string>();
  private readonly scope: ResolveScope = { today: "", mentioned: [] };
  private readonly schemas = new Map<CommandDef, z.ZodType>();
  /** a photo download that takes longer is given up (the sender is asked to resend) */
  downloadTimeoutMs = DOWNLOAD_TIMEOUT_MS;

  constructor(private readonly d: PipelineDeps) {
    const resolvers = makeResolvers(d.org, d.cal, this.scope);
    for (const c of d.registry.all) this.schemas.set(c, c.args(resolvers));
  }

  /** Messages are handled one at a time, in arrival order. */
  handle(msg: InboundMessage): Promise<Outcome> {
    const run = this.queue.then(() => this.handleOne(msg));
    this.queue = run.catch(() => {});
    return run;
  }

  /** The dedupe key: the same message id on another channel or bot account is another message. */
  private key(msg: InboundMessage): string {
    return `${msg.channel ?? "direct"}:${msg.account ?? ""}:${msg.id}`;
  }

  /**
   * The key the same message had before channels had names (`<bot id>:<message id>`, Wechaty only): a
   * puppet that replays, after the upgrade, a message the old version handled finds it claimed.
   */
  private legacyKey(msg: InboundMessage): string | undefined {
    return msg.channel === "wechaty" && msg.account ? `${msg.account}:${msg.id}` : undefined;
  }

  private async handleOne(msg: InboundMessage): Promise<Outcome> {
    const { d } = this;
    const now = d.clock.now();
    if (msg.chat.kind === "room") await this.noteRoom(msg.chat.id, msg.chat.topic, now);
    if (msg.image) return this.handleImage(msg, now);
    const text = msg.text ?? "";
    const parsed = parseCommand(text, d.botNames());
    if (!parsed) {
      // a private message, an @-mention of the bot or a bare "/": a pointer to /帮助; anything else is
      // group talk and ignored
      const toBot = msg.chat.kind === "private" || addressesBot(text, d.botNames(), !!msg.account && msg.mentioned.some((m) => m.id === msg.account));
      if (!toBot || !text.trim()) return "ignored";
      return this.replyOnly(msg, d.org.person(msg.senderId, msg.senderName), `我是${d.cfg.org}作风整顿督办助手，只认以 / 开头的命令。发送 /帮助 查看你能用的命令。`, now);
    }
    const sender = d.org.person(msg.senderId, msg.senderName);
    const def = d.registry.find(parsed.word);

    // refusals that need no transaction of their own still go through one: claim + reply, atomically
    // (a refused anonymous report is as private as its reply: sent privately, sealed, deleted once sent)
    const refuse = (why: string) => this.replyOnly(msg, sender, why, now, def?.anonymous === true);

    if (!def) {
      const near = d.registry.suggest(parsed.word);
      return refuse(near ? `没有 /${parsed.word} 这个命令，你是不是想用 /${near}？` : `没有 /${parsed.word} 这个命令，发送 /帮助 查看可用命令`);
    }
    if (utf8Bytes(text) > MAX_TEXT_BYTES) return refuse(`${def.usage}\n内容过长（超过 ${MAX_TEXT_BYTES} 字节），请精简后再发`);
    if (def.where === "private" && msg.chat.kind === "room") return refuse(`/${def.name} 只能私聊机器人使用，请私聊我发送，群里不会留下你的信息`);
    if (def.where === "group" && msg.chat.kind !== "room") return refuse(`/${def.name} 需要在工作群里发送`);
    if (!allowed(def.who, sender)) {
      if (!sender.member)
        return refuse(`你还不在${d.cfg.org}作风整顿名册中，目前只能用 /上报 反映问题；如需办理其他事项，请联系${d.cfg.office.short}登记`);
      return refuse(`/${def.name} 仅限${RULE_TEXT[def.who]}使用`);
    }
    const today = d.cal.today(now);
    this.scope.today = today;
    this.scope.mentioned = msg.mentioned;
    const args = this.schemas.get(def)!.safeParse(def.from(parsed.args));
    if (!args.success) return refuse(`用法：${def.usage}\n${args.error.issues[0]?.message ?? "参数有误"}`);

    const key = this.key(msg);
    let prepared: unknown;
    try {
      const prepare = def.prepare;
      if (prepare) prepared = await snapshot(d.read, (read) => prepare({ read, now, today, cfg: d.cfg, org: d.org, cal: d.cal, sender, chat: msg.chat, filesDir: d.filesDir }, args.data));
      await d.db.$transaction(async (tx) => {
        await this.claim(tx, key, now, this.legacyKey(msg));
        const outbox = new OutboxBatch(tx, now);
        const ctx = makeCtx({
          now,
          today,
          cfg: d.cfg,
          org: d.org,
          cal: d.cal,
          sender,
          chat: msg.chat,
          tx,
          messageKey: key,
          items: new Items(tx, d.org, d.cal, now, d.cfg.campaign.name, { chatId: chatId(msg.chat, msg.senderId), messageKey: key }),
          commands: d.registry.all,
          filesDir: d.filesDir,
        }, outbox, msg);
        await def.run(ctx, args.data, prepared);
        await outbox.flush();
        await d.beforeCommit?.(tx);
      }, TX);
    } catch (e) {
      if (e instanceof Duplicate) return "duplicate";
      if (e instanceof UserError) return refuse(e.showUsage ? `用法：${def.usage}\n${e.message}` : e.message);
      // not silence: the sender hears that nothing was done. The key stays unclaimed, so the same
      // message delivered again is handled afresh.
      await this.tellFailure(msg, now, def.anonymous === true).catch(() => {});
      throw e;
    }
    d.log.info("command", def.anonymous ? { cmd: def.name } : { cmd: def.name, from: sender.id, chat: msg.chat.kind === "room" ? msg.chat.id : "private" });
    return "handled";
  }

  /**
   * The dedupe claim of a message. Stored as a hash of the key, dated by its local day only: a claim
   * (of an anonymous report too) pairs no message id with the instant an item was created.
   */
  private async claim(tx: Tx, key: string, now: Date, legacy?: string): Promise<void> {
    if (legacy && (await tx.processedMessage.findUnique({ where: { key: claimKey(legacy) } }))) throw new Duplicate();
    try {
      await tx.processedMessage.create({ data: { key: claimKey(key), at: this.d.cal.instant(this.d.cal.today(now)) } });
    } catch (e) {
      if (isUniqueViolation(e)) throw new Duplicate();
      throw e;
    }
  }

  /** Claim the message and answer its sender (ephemeral: privately and sealed, even when asked in a group). */
  private async replyOnly(msg: InboundMessage, sender: Person, text: string, now: Date, ephemeral = false): Promise<Outcome> {
    try {
      await this.d.db.$transaction(async (tx) => {
        await this.claim(tx, this.key(msg), now, this.legacyKey(msg));
        const { target, mentions } = replyTarget(ephemeral ? { kind: "private" } : msg.chat, sender.id);
        await insertOutgoing(tx, [{ target, text, mentions, ephemeral, direct: true, via: viaFor(msg, !ephemeral || msg.chat.kind === "private") }], now);
      }, TX);
    } catch (e) {
      if (e instanceof Duplicate) return "duplicate";
      throw e;
    }
    return "refused";
  }

  /** Tell the sender something went wrong (no message key is claimed: a redelivery is handled afresh). */
  private async tellFailure(msg: InboundMessage, now: Date, ephemeral = false, text = `系统处理这条命令时出错，本条没有办理，请稍后重发；如果反复出现，请联系${this.d.cfg.office.short}。`): Promise<void> {
    const { target, mentions } = replyTarget(ephemeral ? { kind: "private" } : msg.chat, msg.senderId);
    await this.d.db.$transaction((tx) => insertOutgoing(tx, [{ target, text, mentions, ephemeral, direct: true, via: viaFor(msg, !ephemeral || msg.chat.kind === "private") }], now), TX);
  }

  /**
   * An image right after /整改 (same person, same chat, sent within 10 minutes of it) is evidence for it.
   * The download, slow on a real puppet, happens before the transaction, into a staging file.
   */
  private async handleImage(msg: InboundMessage, now: Date): Promise<Outcome> {
    const { d } = this;
    const chat = chatId(msg.chat, msg.senderId);
    const key = this.key(msg);
    // a photo that waited while the bot was down counts from when it was sent
    const sent = msg.sentAt && msg.sentAt.getTime() < now.getTime() ? msg.sentAt : now;
    // a photo sent privately to the bot counts for the sender's latest /整改 in any chat (the 智能机器人
    // receives a group photo only together with an @-mention of the bot); one in a group only for a
    // /整改 in that group
    const rectification = (q: Tx | Db) =>
      q.event.findFirst({
        where: { actorId: msg.senderId, kind: "整改", ...(msg.chat.kind === "private" ? {} : { chatId: chat }), at: { gte: new Date(sent.getTime() - EVIDENCE_WINDOW_MS) } },
        orderBy: { id: "desc" },
        include: { item: true },
      });
    const pending = await rectification(d.db);
    if (!pending) {
      // a rectification of theirs in another chat, still inside its window: say where the photo belongs
      const elsewhere = await d.db.event.findFirst({
        where: { actorId: msg.senderId, kind: "整改", chatId: { not: chat }, at: { gte: new Date(sent.getTime() - EVIDENCE_WINDOW_MS) } },
        orderBy: { id: "desc" },
        include: { item: true },
      });
      if (!elsewhere || elsewhere.item.status !== "待验收" || !elsewhere.chatId) return "ignored";
      const room = elsewhere.chatId.startsWith("private:") ? null : await d.db.room.findUnique({ where: { id: elsewhere.chatId } });
      const where = room ? `「${room.topic}」群` : "与我的私聊";
      const until = d.cal.local(new Date(elsewhere.at.getTime() + EVIDENCE_WINDOW_MS));
      const hhmm = `${String(until.hh).padStart(2, "0")}:${String(until.mm).padStart(2, "0")}`;
      return this.replyOnly(msg, d.org.person(msg.senderId, msg.senderName), `#${elsewhere.item.no} 的整改照片请发在提交 /整改 的同一个聊天里（${where}），请在 ${hhmm} 前到那里重新发送，这张不计入佐证`, now);
    }
    if (pending.item.status !== "待验收") return "ignored";
    const legacy = this.legacyKey(msg);
    if (await d.db.processedMessage.findFirst({ where: { key: { in: [claimKey(key), ...(legacy ? [claimKey(legacy)] : [])] } } })) return "duplicate";
    const staging = path.join(d.evidenceDir, ".incoming");
    mkdirSync(staging, { recursive: true });
    const base = path.join(staging, key.replace(/[^\w.-]/g, "_"));
    // a stalled download must not hold up the messages after it: it is given up after a while, and
    // whatever it writes when it finishes late is removed
    let timedOut = false;
    const download = msg.image!.save(base);
    download.then((f) => timedOut && rmSync(f, { force: true }), () => timedOut && removeStaged(base));
    const staged = await withTimeout(download, this.downloadTimeoutMs, "照片下载").catch(async (e) => {
      timedOut = e instanceof TimeoutError;
      removeStaged(base); // a download that broke off halfway (or is still writing)
      await this.tellFailure(msg, now, false, `这张照片没有接收成功，请在 10 分钟内重新发送（#${pending.item.no} 的整改佐证）。`).catch(() => {});
      throw e;
    });
    let saved: string | undefined;
    try {
      const outcome = await d.db.$transaction(async (tx) => {
        const ev = await rectification(tx);
        if (!ev || ev.item.status !== "待验收") return "ignored" as const;
        await this.claim(tx, key, now, legacy);
        const count = await tx.evidence.count({ where: { eventId: ev.id } });
        const dir = path.join(d.evidenceDir, String(ev.item.no));
        mkdirSync(dir, { recursive: true });
        saved = path.join(dir, `${ev.id}-${count + 1}${path.extname(staged)}`);
        renameSync(staged, saved);
        const items = new Items(tx, d.org, d.cal, now, d.cfg.campaign.name, { chatId: chat, messageKey: key });
        await items.event(ev.item, msg.senderId, "佐证", `第 ${count + 1} 张照片`);
        await tx.evidence.create({ data: { itemId: ev.itemId, eventId: ev.id, path: saved, fromId: msg.senderId, at: now } });
        const { target, mentions } = replyTarget(msg.chat, msg.senderId);
        // the photo itself goes to whoever verifies: everyone the 待验收 notice went to (not its sender)
        const verifiers = (await items.tellOffice("", msg.senderId)).map((o) => ({ target: o.target, file: saved }));
        await insertOutgoing(tx, [{ target, text: `已收到 #${ev.item.no} 的整改佐证照片（第 ${count + 1} 张）`, mentions, direct: true, via: viaFor(msg, true) }, ...verifiers], now);
        return "handled" as const;
      }, TX);
      if (outcome !== "handled") rmSync(staged, { force: true });
      return outcome;
    } catch (e) {
      rmSync(staged, { force: true });
      if (saved) rmSync(saved, { force: true });
      if (e instanceof Duplicate) return "duplicate";
      throw e;
    }
  }

  /** Remember group chats (id ↔ topic) and bind the ones the config names to their unit. */
  async noteRoom(id: string, topic: string, now: Date): Promise<void> {
    if (this.knownRooms.get(id) === topic) return;
    // one group, one row (else every notice to it would go twice): a group reached only by its 群机器人
    // (`webhook:<name>`) is that row until a chat channel turns out to be in it, then the chat's row
    if (id.startsWith("webhook:")) {
      if (await this.d.db.room.count({ where: { topic, NOT: { id: { startsWith: "webhook:" } } } })) return;
    } else await this.d.db.room.deleteMany({ where: { id: `webhook:${topic}` } });
    const unit = this.d.cfg.units.find((u) => u.rooms.includes(topic))?.name ?? null;
    const conf = this.d.cfg.rooms.find((r) => r.name === topic);
    const circular = !!conf?.circular;
    const circularFull = conf?.circular === "full";
    const existing = await this.d.db.room.findUnique({ where: { id } });
    if (existing) await this.d.db.room.update({ where: { id }, data: { topic, updatedAt: now, unitName: existing.unitName ?? unit, circular: existing.circular || circular, circularFull: existing.circularFull || circularFull } });
    else await this.d.db.room.create({ data: { id, topic, unitName: unit, circular, circularFull, updatedAt: now } });
    this.knownRooms.set(id, topic);
  }
}

/** A message key as the dedupe claim stores it. */
export function claimKey(key: string): string {
  return "sha256:" + createHash("sha256").update(key).digest("hex");
}

/** Files staged for `base` (the transport adds the extension). */
function removeStaged(base: string): void {
  const dir = path.dirname(base);
  const name = path.basename(base);
  for (const f of existsSync(dir) ? readdirSync(dir) : []) if (f.startsWith(name)) rmSync(path.join(dir, f), { force: true });
}

/** Photos left in the staging folder by a crash between download and transaction (files' own clock). */
export function clearStaleStaging(evidenceDir: string): void {
  const dir = path.join(evidenceDir, ".incoming");
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    const file = path.join(dir, f);
    if (Date.now() - statSync(file).mtimeMs > 3_600_000) rmSync(file, { force: true });
  }
}

/** Chat id stored on events: the room id, or "private:<sender>" for a private chat. */
export function chatId(chat: Chat, senderId: string): string {
  return chat.kind === "room" ? chat.id : `private:${senderId}`;
}
