// The WeCom 智能机器人 (intelligent bot) as a Duban channel: one WebSocket long connection through the
// official @wecom/aibot-node-sdk (no public IP needed). Switched on by WECOM_AIBOT_ID + WECOM_AIBOT_SECRET
// (+ WECOM_AIBOT_WS_URL for 政务微信 / private deployments), SPEC §8.
//
// What the SDK does and does not do (read in node_modules/@wecom/aibot-node-sdk/dist/index.cjs.js, 1.0.7 —
// the file Node loads; line numbers of that file):
// - frames are `{cmd, headers:{req_id}, body}`; it authenticates with `aibot_subscribe` {bot_id, secret}
//   on open (347-363); a refused subscribe is a frame without cmd, `errcode != 0` on the subscribe req_id
//   (409-420): it emits `error` ("Authentication failed: …"), closes, and retries with back-off up to
//   `maxAuthFailureAttempts` (504-522), then emits WSAuthFailureError (509).
// - pushes are `aibot_msg_callback` / `aibot_event_callback` (371-404, 782-810); bodies carry msgid,
//   chatid (groups only), chattype, from.userid, text.content (dist/types/message.d.ts:86-143).
// - it does NOT dedupe: the same msgid twice is two `message` events. The pipeline's claim on
//   `wecom-aibot:<bot id>:<msgid>` does (ports.ts); this channel passes `id: msgid` and nothing else.
// - on `disconnected_event` (another connection with the same bot took over) it stops itself and does not
//   reconnect (384-401, isManualClose = true at 392): we log it as an error and leave it so.
// - replies go on the callback's req_id (`replyStream`, 1020); each reply waits for the server's ack and
//   rejects after 5 s without one (233, 626-640) or with the error frame itself when errcode != 0 (667);
//   markdown content ≤ 20,480 bytes (types/api.d.ts:84). A stream cannot be updated 6 minutes after the
//   message (the platform's rule, errcode 846608 "stream message update expired").
// - proactive `sendMessage(chatid | userid, markdown | media)` (1153) on `aibot_send_msg`; files via the
//   chunked `uploadMedia` (1171-1270: init → 512 KB chunks → finish → media_id) then `sendMediaMessage`.
// - images and files arrive as an encrypted URL + per-message `aeskey`; `downloadFile` (1332) fetches it
//   and decrypts AES-256-CBC, IV = the key's first 16 bytes, PKCS#7 padded to 32 bytes (841-878).
// - `send` throws "WebSocket not connected" when the socket is not open (553): nothing went out.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { WSClient, generateReqId, type WsFrame, type WeComMediaType } from "@wecom/aibot-node-sdk";
import { DefiniteSendFailure, type Channel, type ChannelLimits, type Delivery, type Inbound, type Target } from "../../core/ports.ts";
import { MARKDOWN_MAX_BYTES, mentionPrefix, toMarkdownParts, utf8Bytes } from "./markdown.ts";
import { resolveMentions } from "./mentions.ts";

export { escapeMarkdown, mentionPrefix, toMarkdownParts, MARKDOWN_MAX_BYTES } from "./markdown.ts";
export { resolveMentions } from "./mentions.ts";

export const CHANNEL_NAME = "wecom-aibot";
/** The SDK's built-in address (index.cjs.js:201); WECOM_AIBOT_WS_URL overrides it. */
export const DEFAULT_WS_URL = "wss://openws.work.weixin.qq.com";
/** A stream reply can no longer be sent/updated 6 minutes after the message; keep a margin. */
const REPLY_WINDOW_MS = 5 * 60_000;

/**
 * Markdown ≤ 20,480 bytes (SDK types/api.d.ts:84). The SDK and its README name no rate limit for the
 * aibot; 20 per minute per chat is the WeCom 群机器人's documented limit, used here as a prudent guess.
 */
export const AIBOT_LIMITS: ChannelLimits = { maxBytes: MARKDOWN_MAX_BYTES, perTarget: 20, windowMs: 60_000, files: true };

/** Duban's logger shape (src/core/log.ts), restated so the channel imports nothing of the core but ports.ts. */
export interface ChannelLog {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export interface AibotTimeouts {
  /** how long `start()` waits for the first authentication, and the WebSocket handshake timeout (10 s) */
  connectMs?: number;
  /** first reconnect delay; doubles up to 30 s (SDK) (1 s) */
  reconnectBaseMs?: number;
  /** reconnect attempts after a drop, -1 = forever (-1: a township's line may be down for an hour) */
  maxReconnectAttempts?: number;
  /** refused subscribes before giving up (5, the SDK's default) */
  maxAuthFailureAttempts?: number;
  /** heartbeat (`ping`) interval (30 s, SDK default) */
  heartbeatMs?: number;
  /** HTTP timeout of an image download (10 s) */
  downloadMs?: number;
  /** answer on the message's req_id only this long after it arrived, later send proactively (5 min) */
  replyWindowMs?: number;
}

export interface AibotChannelOptions {
  botId: string;
  secret: string;
  /** WECOM_AIBOT_WS_URL; default the public WeCom endpoint */
  wsUrl?: string;
  log: ChannelLog;
  /** roster lookup for `@姓名` in group messages (the platform gives no mention ids) */
  resolveMention?: (name: string) => string | undefined;
  /** the bot's display name in WeCom: not looked up as a person when @-mentioned */
  botName?: string;
  /** the aibot gives no group name: `topic` of a group chat (default: its chatid) */
  topicOf?: (chatid: string) => string | undefined;
  /**
   * which persons `canReach` accepts privately: `any` userid (the platform decides; the default), or only
   * those `seen` writing to the bot privately since it started — what a deployment with the 自建应用
   * beside it chooses, so that a digest to a leader who never wrote to the bot goes by the 自建应用
   */
  contacts?: "any" | "seen" | (() => "any" | "seen");
  /** narrow what `canReach` accepts further (default: any group chatid; persons as `contacts` says) */
  reaches?: (d: Pick<Delivery, "target" | "file">) => boolean;
  timeouts?: AibotTimeouts;
  /** clock for the reply window (tests) */
  now?: () => number;
}

/** The server's error frame, as the SDK rejects with it (index.cjs.js:667). */
function isErrorFrame(e: unknown): e is { errcode: number; errmsg?: string } {
  return typeof e === "object" && e !== null && typeof (e as any).errcode === "number" && !(e instanceof Error);
}
const errText = (e: unknown): string => (isErrorFrame(e) ? `errcode=${e.errcode} ${e.errmsg ?? ""}`.trim() : String((e as Error)?.message ?? e));

/** A failed send → DefiniteSendFailure when it surely did not go out. */
function classify(e: unknown, what: string): Error {
  if (e instanceof DefiniteSendFailure) return e;
  // the server answered with an error: it refused the message
  if (isErrorFrame(e)) return new DefiniteSendFailure(`${what}被企业微信拒绝：${errText(e)}`);
  const msg = errText(e);
  // not written to the socket at all (index.cjs.js:553), or refused by the SDK's queue bound (589)
  if (/WebSocket not connected|exceeds max size/.test(msg)) return new DefiniteSendFailure(`${what}未发出：${msg}`);
  // ack timeout, or the connection closed while waiting for the ack: it may have gone out
  return new Error(`${what}结果不明：${msg}`);
}

function sniffExt(buf: Buffer, filename?: string): string {
  if (buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return ".png";
  if (buf[0] === 0xff && buf[1] === 0xd8) return ".jpg";
  if (buf.subarray(0, 4).toString("latin1") === "GIF8") return ".gif";
  if (buf.subarray(0, 4).toString("latin1") === "RIFF" && buf.subarray(8, 12).toString("latin1") === "WEBP") return ".webp";
  const ext = path.extname(filename ?? "").toLowerCase();
  return /^\.(jpe?g|png|gif|webp|heic|bmp)$/.test(ext) ? ext : ".jpg";
}

interface Handle {
  at: number;
  /** where the message came from: a reply on its req_id lands there and nowhere else */
  chat: Target;
  used: boolean;
}

export function createAibotChannel(opts: AibotChannelOptions): Channel {
  const log = opts.log;
  const t = opts.timeouts ?? {};
  const connectMs = t.connectMs ?? 10_000;
  const replyWindowMs = t.replyWindowMs ?? REPLY_WINDOW_MS;
  const now = opts.now ?? Date.now;
  const wsUrl = opts.wsUrl || DEFAULT_WS_URL;
  const account = opts.botId;

  // SDK log lines: debug/info ones print whole frames (sender ids and message text, index.cjs.js:376) and
  // must never reach Duban's log (SPEC §7, anonymity); warn/error keep their message, not frame dumps.
  const sdkLine = (level: "warn" | "error") => (message: string, ...args: unknown[]) => {
    const detail = args.filter((a) => typeof a === "string" && !a.trimStart().startsWith("{")).join(" ");
    log.debug("wecom_aibot.sdk", { level, message: String(message).slice(0, 300), detail: detail.slice(0, 300) || undefined });
  };
  const client = new WSClient({
    botId: opts.botId,
    secret: opts.secret,
    wsUrl,
    reconnectInterval: t.reconnectBaseMs ?? 1000,
    maxReconnectAttempts: t.maxReconnectAttempts ?? -1,
    maxAuthFailureAttempts: t.maxAuthFailureAttempts ?? 5,
    heartbeatInterval: t.heartbeatMs ?? 30_000,
    requestTimeout: t.downloadMs ?? 10_000,
    wsOptions: { handshakeTimeout: connectMs },
    logger: { debug: () => {}, info: () => {}, warn: sdkLine("warn"), error: sdkLine("error") },
  });

  const handles = new Map<string, Handle>();
  /** the bot's display names: WECOM_AIBOT_NAME, and what group messages address it by */
  const names = new Set<string>(opts.botName ? [opts.botName] : []);
  /** persons who wrote to the bot privately (contacts: "seen") */
  const seen = new Set<string>();
  let deliver: ((m: Inbound) => Promise<void>) | null = null;
  let chain: Promise<void> = Promise.resolve();
  let open = false; // the socket of the current attempt opened
  let authed = false; // the current socket is authenticated
  let takenOver = false;
  let stopping = false;
  let authWatch: ReturnType<typeof setTimeout> | null = null;
  let settleStart: (() => void) | null = null;

  const clearWatch = () => {
    if (authWatch) clearTimeout(authWatch);
    authWatch = null;
  };

  client.on("connected", () => {
    open = true;
    clearWatch();
    // a server that accepts the socket but never answers the subscribe (wrong URL, a proxy)
    authWatch = setTimeout(() => {
      if (authed || stopping) return;
      log.error("wecom_aibot.no_auth_answer", {
        account, url: wsUrl, check: "WECOM_AIBOT_WS_URL",
        msg: `企业微信智能机器人：${Math.round(connectMs / 1000)} 秒内没有收到认证应答，请检查 WECOM_AIBOT_WS_URL 是否为企业微信长连接地址`,
      });
      settleStart?.();
    }, connectMs);
  });
  client.on("authenticated", () => {
    clearWatch();
    authed = true;
    log.info("wecom_aibot.connected", { account, url: wsUrl, msg: "企业微信智能机器人已连接（长连接认证成功）" });
    settleStart?.();
  });
  client.on("error", (err: Error & { code?: string }) => {
    if (stopping) return;
    const error = errText(err);
    if (err.code === "WS_AUTH_FAILURE_EXHAUSTED") {
      log.error("wecom_aibot.gave_up", {
        account, check: "WECOM_AIBOT_ID, WECOM_AIBOT_SECRET", error,
        msg: "企业微信智能机器人：认证多次被拒绝，已停止重试；改正 WECOM_AIBOT_ID / WECOM_AIBOT_SECRET 后重启督办",
      });
    } else if (err.code === "WS_RECONNECT_EXHAUSTED") {
      log.error("wecom_aibot.gave_up", { account, url: wsUrl, check: "WECOM_AIBOT_WS_URL", error, msg: "企业微信智能机器人：多次重连失败，已停止重试；检查网络和 WECOM_AIBOT_WS_URL 后重启督办" });
    } else if (/^Authentication failed/.test(error)) {
      log.error("wecom_aibot.auth_failed", {
        account, check: "WECOM_AIBOT_ID, WECOM_AIBOT_SECRET", error,
        msg: "企业微信拒绝了智能机器人的凭证：请检查 WECOM_AIBOT_ID（Bot ID）和 WECOM_AIBOT_SECRET（Secret）",
      });
      settleStart?.();
    } else if (!open) {
      log.error("wecom_aibot.connect_failed", {
        account, url: wsUrl, check: "WECOM_AIBOT_WS_URL", error,
        msg: "连不上企业微信智能机器人的长连接地址：请检查网络，以及 WECOM_AIBOT_WS_URL（不填即公网默认地址）",
      });
      settleStart?.();
    } else {
      log.warn("wecom_aibot.error", { account, error });
    }
  });
  client.on("disconnected", (reason: string) => {
    clearWatch();
    const wasAuthed = authed;
    open = false;
    authed = false;
    if (stopping || takenOver) return;
    if (wasAuthed) log.warn("wecom_aibot.disconnected", { account, reason, msg: "企业微信智能机器人连接断开，正在重连" });
  });
  client.on("reconnecting", (attempt: number) => log.debug("wecom_aibot.reconnecting", { account, attempt }));
  client.on("event.disconnected_event", () => {
    takenOver = true;
    log.error("wecom_aibot.taken_over", {
      account, check: "WECOM_AIBOT_ID",
      msg: "另一个程序用同一个智能机器人（WECOM_AIBOT_ID）连上了企业微信，本连接已被服务器断开且不再重连：请确认只运行一个督办实例，然后重启",
    });
    settleStart?.();
  });

  client.on("message", (frame: WsFrame) => {
    const m = toInbound(frame);
    if (!m || !deliver) return;
    const d = deliver;
    // handled strictly in arrival order, like the Wechaty channel
    chain = chain.then(() => d(m)).catch((e) => log.error("wecom_aibot.deliver_failed", { account, id: m.id, error: errText(e) }));
  });

  function remember(reqId: string, chat: Target) {
    const at = now();
    for (const [k, h] of handles) if (at - h.at > replyWindowMs) handles.delete(k);
    handles.set(reqId, { at, chat, used: false });
  }

  function toInbound(frame: WsFrame): Inbound | null {
    const b = frame.body as any;
    const reqId = frame.headers?.req_id;
    if (!b?.msgid || !b.from?.userid) return null;
    let text: string | undefined;
    let img: { url: string; aeskey?: string } | undefined;
    switch (b.msgtype) {
      case "text":
        text = b.text?.content;
        break;
      case "voice": // already transcribed by the platform
        text = b.voice?.content;
        break;
      case "image":
        img = b.image;
        break;
      case "mixed": {
        // a photo in a group reaches the bot only as "@bot + image": a mixed message
        const items: any[] = b.mixed?.msg_item ?? [];
        const texts = items.filter((i) => i.msgtype === "text" && i.text?.content).map((i) => i.text.content as string);
        text = texts.length ? texts.join("\n") : undefined;
        img = items.find((i) => i.msgtype === "image" && i.image?.url)?.image;
        break;
      }
      default:
        log.debug("wecom_aibot.ignored", { account, msgtype: String(b.msgtype) });
        return null;
    }
    const group = b.chattype === "group" && typeof b.chatid === "string" && b.chatid;
    const senderId = String(b.from.userid);
    if (!group) seen.add(senderId);
    if (reqId) remember(reqId, group ? { kind: "room", id: b.chatid } : { kind: "contact", id: senderId });
    // every group message reaching the bot @-mentions it, as "@名字 …" at the start: a first @word that
    // names nobody of the roster is the bot's own display name (so "@督办助手 /上报 …" is a command
    // even where WECOM_AIBOT_NAME is not set)
    const lead = group ? /^\s*[@＠]([^\s@＠]+)\s/.exec(text ?? "") : null;
    if (lead && !opts.resolveMention?.(lead[1])) names.add(lead[1]);
    const mentioned = group ? resolveMentions(text ?? "", opts.resolveMention, [...names]) : [];
    // every group message that reaches the aibot @-mentioned it (the platform forwards nothing else)
    if (group && !mentioned.some((p) => p.id === account)) mentioned.unshift({ id: account, name: opts.botName ?? "" });
    const ts = typeof b.create_time === "number" ? b.create_time : Number(b.create_time);
    const sentAt = Number.isFinite(ts) && ts > 0 ? new Date(ts < 1e12 ? ts * 1000 : ts) : undefined;
    const m: Inbound = {
      channel: CHANNEL_NAME,
      account,
      id: String(b.msgid),
      chat: group ? { kind: "room", id: b.chatid, topic: opts.topicOf?.(b.chatid) ?? b.chatid } : { kind: "private" },
      senderId,
      senderName: senderId, // the callback carries only the userid; Duban's roster names the person
      mentioned,
      replyHandle: reqId || undefined,
      ...(sentAt ? { sentAt } : {}),
    };
    if (text !== undefined) m.text = text;
    if (img?.url) {
      const { url, aeskey } = img;
      m.image = {
        async save(fileBase: string) {
          const { buffer, filename } = await client.downloadFile(url, aeskey ?? "");
          const file = fileBase + sniffExt(buffer, filename);
          // written under a temporary name: a download that breaks off never leaves a file that looks whole
          const partial = fileBase + ".part";
          try {
            await writeFile(partial, buffer);
            await rename(partial, file);
          } finally {
            await rm(partial, { force: true });
          }
          return file;
        },
      };
    }
    return m;
  }

  /** Send one markdown content: on the message's req_id when this answers it in its own chat, else proactively. */
  async function sendMarkdown(d: Delivery, content: string): Promise<void> {
    const h = d.replyHandle ? handles.get(d.replyHandle) : undefined;
    const sameChat = h && h.chat.kind === d.target.kind && h.chat.id === d.target.id;
    if (d.replyHandle && h && sameChat && !h.used && now() - h.at <= replyWindowMs) {
      h.used = true; // one reply per message; further parts go proactively
      try {
        await client.replyStream({ headers: { req_id: d.replyHandle } }, generateReqId("stream"), content, true);
        return;
      } catch (e) {
        // the platform refused the req_id (expired, unknown): nothing was shown, say it proactively instead
        if (!isErrorFrame(e)) throw classify(e, "回复");
        log.warn("wecom_aibot.reply_refused", { account, error: errText(e) });
      }
    }
    try {
      await client.sendMessage(d.target.id, { msgtype: "markdown", markdown: { content } });
    } catch (e) {
      throw classify(e, "消息");
    }
  }

  async function sendFile(d: Delivery, file: string): Promise<void> {
    let mediaId: string;
    const type: WeComMediaType = /\.(png|jpe?g|gif)$/i.test(file) ? "image" : "file";
    try {
      const buf = await readFile(file);
      mediaId = (await client.uploadMedia(buf, { type, filename: path.basename(file) })).media_id;
    } catch (e) {
      // an upload shows nothing in any chat: whatever went wrong, nothing was sent
      throw new DefiniteSendFailure(`文件上传失败：${errText(e)}`);
    }
    try {
      await client.sendMediaMessage(d.target.id, type, mediaId);
    } catch (e) {
      throw classify(e, "文件");
    }
  }

  return {
    name: CHANNEL_NAME,
    limits: AIBOT_LIMITS,
    account: () => account,
    botNames: () => [...names],
    healthy: () => authed && !takenOver,
    overhead(target: Target, mentions: string[]) {
      return target.kind === "room" ? utf8Bytes(mentionPrefix(mentions)) : 0;
    },
    start(d) {
      deliver = d;
      stopping = false;
      return new Promise<void>((resolve) => {
        // resolves once connected, or once a failure has been logged (the SDK keeps retrying meanwhile):
        // one unreachable channel must not hold up Duban's other channels
        const timer = setTimeout(() => settleStart?.(), connectMs + 1000);
        settleStart = () => {
          clearTimeout(timer);
          settleStart = null;
          resolve();
        };
        log.info("wecom_aibot.connecting", { account, url: wsUrl });
        client.connect();
      });
    },
    canReach(d) {
      if (!d.target.id) return false;
      const contacts = typeof opts.contacts === "function" ? opts.contacts() : opts.contacts;
      if (d.target.kind === "contact" && contacts === "seen" && !seen.has(d.target.id)) return false;
      return opts.reaches ? opts.reaches(d) : true;
    },
    async send(d: Delivery) {
      if (!client.isConnected || !authed) throw new DefiniteSendFailure(takenOver ? "企业微信智能机器人已被另一连接取代" : "企业微信智能机器人未连接");
      let sent = 0;
      try {
        if (d.text !== undefined && d.text !== "") {
          const prefix = d.target.kind === "room" ? mentionPrefix(d.mentions) : "";
          for (const part of toMarkdownParts(d.text, prefix, AIBOT_LIMITS.maxBytes)) {
            await sendMarkdown(d, part);
            sent++;
          }
        }
        if (d.file) await sendFile(d, d.file);
      } catch (e) {
        // a later part failing after an earlier one went out: not definite (a retry would repeat it)
        if (sent && e instanceof DefiniteSendFailure) throw new Error(`部分已发出：${e.message}`);
        throw e;
      }
    },
    async stop() {
      stopping = true;
      clearWatch();
      settleStart?.();
      deliver = null;
      if (!takenOver) client.disconnect();
      await chain;
      client.removeAllListeners();
    },
  };
}
