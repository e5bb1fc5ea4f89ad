// The WeCom 群机器人 (webhook) channel (SPEC §8): send only, one robot key per group. Text with @-mentions,
// markdown, images and files to exactly the groups it has a key for.
//
// Switched on by `rooms[].webhook: <key>` in duban.yaml (+ WECOM_WEBHOOK_BASE); the lead maps each such
// room to `{ roomId, key, name }`. Endpoints (public docs: 群机器人配置说明, developer.work.weixin.qq.com/document/path/91770):
//   POST {base}/cgi-bin/webhook/send?key=                 text {content, mentioned_list} · markdown {content}
//                                                         · image {base64, md5} · file {media_id}
//   POST {base}/cgi-bin/webhook/upload_media?key=&type=file   multipart field `media` → media_id (3 days)
// Limits: text ≤ 2,048 bytes, markdown ≤ 4,096 bytes, image ≤ 2 MB (JPG/PNG), file 5 B – 20 MB; 20 messages
// a minute per robot (45009 beyond). We declare 18 a minute: two below, for a message the platform counted
// that we could not (a send that timed out but went through) and for clocks that disagree.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { DefiniteSendFailure, type Channel, type ChannelLimits, type Delivery, type Inbound } from "../../core/ports.ts";
import { callJson, HttpFailure, mask, sizeWithin, type ChannelLog, type Fetch } from "../wecom-common/http.ts";
import { SlidingWindow, type Slot } from "../wecom-common/limiter.ts";

export { escapeMarkdown, md } from "./markdown.ts";
export type { ChannelLog, Fetch } from "../wecom-common/http.ts";

export const WECOM_DEFAULT_BASE = "https://qyapi.weixin.qq.com";
export const WEBHOOK_LIMITS: ChannelLimits = { maxBytes: 2048, perTarget: 18, windowMs: 60_000, files: true };
export const WEBHOOK_MARKDOWN_MAX_BYTES = 4096;
export const WEBHOOK_IMAGE_MAX_BYTES = 2 * 1024 * 1024;
export const WEBHOOK_FILE_MAX_BYTES = 20 * 1024 * 1024;
export const WEBHOOK_FILE_MIN_BYTES = 5;

/** A WeCom userid (what mentioned_list and `<@…>` take); `@all` is never sent on a Delivery's behalf. */
const USERID = /^[A-Za-z0-9_.-][A-Za-z0-9_.@-]{0,63}$/;

export interface WebhookRoom {
  /** the chat id Duban routes to (Target.id of kind "room") */
  roomId: string;
  /** the robot's key (the `key=` of its webhook address; the whole address is accepted too) */
  key: string;
  /** the group's name from duban.yaml, for log lines */
  name?: string;
}

/** What `send` accepts: a Delivery, and optionally `markdown` (built with `md` / `escapeMarkdown`), sent instead of `text`. */
export type WebhookDelivery = Delivery & { markdown?: string };

export interface WebhookOptions {
  rooms: WebhookRoom[];
  /** default https://qyapi.weixin.qq.com (WECOM_WEBHOOK_BASE) */
  base?: string;
  log: ChannelLog;
  fetch?: Fetch;
  now?: () => number;
  /** per message call — default 10 s */
  timeoutMs?: number;
  /** per upload — default 60 s */
  uploadTimeoutMs?: number;
  /** start() checks every key with a small upload (nothing appears in the group) — default true */
  checkOnStart?: boolean;
}

export interface WebhookChannel extends Channel {
  send(d: WebhookDelivery): Promise<void>;
  /** check every key now (an upload, invisible in the group): the groups whose key works */
  check(): Promise<string[]>;
}

/** The key from a config value: a bare key, or the whole webhook address someone pasted. */
export function webhookKey(value: string): string {
  const v = value.trim();
  const m = /[?&]key=([^&#\s]+)/.exec(v);
  return m ? decodeURIComponent(m[1]) : v;
}

export function createWebhookChannel(o: WebhookOptions): WebhookChannel {
  const base = (o.base || WECOM_DEFAULT_BASE).replace(/\/+$/, "");
  const fetchFn = o.fetch ?? globalThis.fetch;
  const now = o.now ?? Date.now;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const uploadTimeoutMs = o.uploadTimeoutMs ?? 60_000;
  const log = o.log;
  const rooms = new Map(o.rooms.map((r) => [r.roomId, { ...r, key: webhookKey(r.key) }]));
  const window = new SlidingWindow(WEBHOOK_LIMITS.perTarget, WEBHOOK_LIMITS.windowMs, now);
  /** groups whose key WeCom refused (93000): reached no more, their rows go by another channel */
  const dead = new Set<string>();
  const baseHint = base === WECOM_DEFAULT_BASE ? "请检查本机能否访问 qyapi.weixin.qq.com（防火墙、代理）" : `请检查 WECOM_WEBHOOK_BASE（现为 ${base}）`;
  type Room = WebhookRoom & { key: string };
  const label = (r: Room) => `「${r.name ?? r.roomId}」`;

  function refused(r: Room, call: string, errcode: number, errmsg: string): DefiniteSendFailure {
    let hint: string;
    let check: string | undefined;
    let level: "warn" | "error" = "error";
    switch (errcode) {
      case 93000:
        dead.add(r.roomId); // until the config is corrected and Duban restarted
        hint = `群${label(r)}的群机器人 key 无效，或机器人已被移出群、被删除：请检查 duban.yaml 中该群的 rooms[].webhook（群聊 → 群机器人 → 查看资料 → Webhook 地址里 key= 后面的部分）`;
        check = "rooms[].webhook";
        break;
      case 45009:
        window.block(r.key);
        hint = `群${label(r)}的群机器人超过每分钟 20 条，被企业微信限流：本条未发出，一分钟后再发`;
        level = "warn";
        break;
      case -1:
        hint = "企业微信系统繁忙：本条未发出，稍后重发";
        level = "warn";
        break;
      case 40058:
      case 44004:
        hint = `消息内容不合要求（空、过长或参数不对）：${errmsg}`;
        break;
      case 40009:
      case 40005:
      case 301019:
        hint = `图片不合要求（须为 JPG/PNG、不超过 2 MB、md5 相符）：${errmsg}`;
        break;
      case 40007:
        hint = "文件的 media_id 无效或已过期";
        break;
      default:
        hint = `企业微信返回错误 ${errcode}（${errmsg}），说明见 https://open.work.weixin.qq.com/devtool/query?e=${errcode}`;
    }
    log[level]("wecom-webhook.refused", { call, room: r.name ?? r.roomId, key: mask(r.key), errcode, errmsg, hint, ...(check ? { check } : {}) });
    const e = new DefiniteSendFailure(`群机器人被拒绝（${errcode}）：${hint}`);
    (e as DefiniteSendFailure & { errcode?: number }).errcode = errcode;
    return e;
  }

  async function call(r: Room, what: "send" | "upload_media", url: string, init: RequestInit, ms: number, sends: boolean): Promise<Record<string, unknown>> {
    let res: Record<string, unknown>;
    try {
      res = await callJson(fetchFn, url, init, ms, what === "send" ? `群机器人发消息到${label(r)}` : `群机器人上传文件到${label(r)}`);
    } catch (e) {
      if (!(e instanceof HttpFailure)) throw e;
      if (e.kind === "connect" || !sends) {
        if (e.kind === "connect") log.error("wecom-webhook.unreachable", { call: what, room: r.name ?? r.roomId, error: `${e.message}：${baseHint}`, check: "WECOM_WEBHOOK_BASE" });
        throw new DefiniteSendFailure(e.message); // nothing was sent
      }
      log.warn("wecom-webhook.uncertain", { call: what, room: r.name ?? r.roomId, error: e.message });
      throw new WebhookUncertainSend(`${e.message}（可能已发出）`);
    }
    if (res.errcode !== 0) throw refused(r, what, Number(res.errcode), String(res.errmsg ?? ""));
    return res;
  }

  const sendUrl = (r: Room) => `${base}/cgi-bin/webhook/send?key=${encodeURIComponent(r.key)}`;
  const uploadUrl = (r: Room) => `${base}/cgi-bin/webhook/upload_media?key=${encodeURIComponent(r.key)}&type=file`;

  async function message(r: Room, slot: Slot, body: Record<string, unknown>): Promise<void> {
    slot.stamp();
    await call(r, "send", sendUrl(r), { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(body) }, timeoutMs, true);
  }

  async function upload(r: Room, name: string, bytes: Buffer): Promise<string> {
    const form = new FormData();
    form.append("media", new Blob([new Uint8Array(bytes)], { type: "application/octet-stream" }), name);
    const res = await call(r, "upload_media", uploadUrl(r), { method: "POST", body: form }, uploadTimeoutMs, false);
    if (typeof res.media_id !== "string" || !res.media_id) throw new DefiniteSendFailure("上传文件：应答里没有 media_id");
    return res.media_id;
  }

  async function checkRoom(r: Room): Promise<boolean> {
    try {
      await upload(r, "duban-check.txt", Buffer.from("督办 群机器人连通检查\n"));
      return true;
    } catch {
      return false; // already logged, naming rooms[].webhook or WECOM_WEBHOOK_BASE
    }
  }

  return {
    name: "wecom-webhook",
    limits: WEBHOOK_LIMITS,
    account: () => "webhook",
    // mentioned_list is not part of `content`: the platform adds the names outside the 2,048 bytes
    overhead: () => 0,

    async start(_deliver: (m: Inbound) => Promise<void>) {
      // send only: `_deliver` is never called
      if (!rooms.size) {
        log.warn("wecom-webhook.no_rooms", { msg: "没有配置群机器人：duban.yaml 的 rooms[] 中没有 webhook" });
        return;
      }
      if (o.checkOnStart === false) return;
      const good = await this.check();
      if (!good.length && dead.size === rooms.size) throw new Error("所有群机器人的 key 都被企业微信拒绝，群机器人通道未启用（见上一行 wecom-webhook.not_ready）");
    },

    async check() {
      const all = [...rooms.values()];
      const ok = await Promise.all(all.map(checkRoom));
      const good = all.filter((_, i) => ok[i]);
      const bad = all.filter((_, i) => !ok[i]);
      if (good.length) log.info("wecom-webhook.ready", { msg: `群机器人已连通：${good.map(label).join("、")}`, rooms: good.map((r) => r.name ?? r.roomId) });
      if (bad.length) log.error("wecom-webhook.not_ready", { msg: `群机器人不可用，这些群收不到消息：${bad.map(label).join("、")}（原因见上一行）`, rooms: bad.map((r) => r.name ?? r.roomId), check: "rooms[].webhook" });
      return good.map((r) => r.roomId);
    },

    healthy: () => dead.size < rooms.size,

    canReach(d: Pick<Delivery, "target" | "file">) {
      if (d.target.kind !== "room" || !rooms.has(d.target.id) || dead.has(d.target.id)) return false;
      return !d.file || sizeWithin(d.file, WEBHOOK_FILE_MIN_BYTES, WEBHOOK_FILE_MAX_BYTES);
    },

    async send(d: WebhookDelivery) {
      const r = d.target.kind === "room" ? rooms.get(d.target.id) : undefined;
      if (!r) throw new DefiniteSendFailure(d.target.kind === "room" ? `群 ${d.target.id} 没有配置群机器人（rooms[].webhook）` : "群机器人只能发到它所在的群，不能私信");
      const mentions = [...new Set(d.mentions ?? [])].filter((id) => USERID.test(id));
      type Part = { text: string } | { markdown: string } | { file: string };
      const parts: Part[] = [];
      if (d.markdown !== undefined) parts.push({ markdown: mentions.length ? `${d.markdown}\n${mentions.map((id) => `<@${id}>`).join(" ")}` : d.markdown });
      else if (d.text !== undefined) parts.push({ text: d.text });
      if (d.file) parts.push({ file: d.file });
      for (const p of parts) {
        if ("file" in p) continue;
        const body = "text" in p ? p.text : p.markdown;
        const max = "text" in p ? WEBHOOK_LIMITS.maxBytes : WEBHOOK_MARKDOWN_MAX_BYTES;
        const n = Buffer.byteLength(body, "utf8");
        if (!body.trim()) throw new DefiniteSendFailure("消息内容为空");
        if (n > max) throw new DefiniteSendFailure(`消息 ${n} 字节，超过群机器人的上限 ${max} 字节（应先拆分）`);
      }
      if (!parts.length) return;
      const media = d.file ? await readMedia(d.file) : undefined;
      const slots = window.reserve(r.key, parts.length);
      if (!slots) {
        const wait = Math.ceil((window.freeAt(r.key, parts.length) - now()) / 1000);
        log.warn("wecom-webhook.rate_limited", { room: r.name ?? r.roomId, waitSeconds: wait });
        throw new DefiniteSendFailure(`群${label(r)}的群机器人已达每分钟 ${WEBHOOK_LIMITS.perTarget} 条，${wait} 秒后再发`);
      }
      let delivered = 0;
      try {
        for (let i = 0; i < parts.length; i++, delivered++) {
          const p = parts[i];
          if ("text" in p) await message(r, slots[i], { msgtype: "text", text: { content: p.text, ...(mentions.length ? { mentioned_list: mentions } : {}) } });
          else if ("markdown" in p) await message(r, slots[i], { msgtype: "markdown", markdown: { content: p.markdown } });
          else if (media!.image) {
            const b = media!.bytes;
            await message(r, slots[i], { msgtype: "image", image: { base64: b.toString("base64"), md5: createHash("md5").update(b).digest("hex") } });
          } else {
            const mediaId = await upload(r, path.basename(p.file), media!.bytes);
            await message(r, slots[i], { msgtype: "file", file: { media_id: mediaId } });
          }
        }
      } catch (e) {
        for (const s of slots) s.release(); // a call never made gives its slot back; one made counts
        if (delivered && e instanceof DefiniteSendFailure) throw new WebhookUncertainSend(`前 ${delivered} 部分已发出，其余未发出：${e.message}`);
        throw e;
      }
    },

    async stop() {},
  };
}

/** The call may have gone out (a timeout or a 5xx after it was sent): never resend blindly. */
export class WebhookUncertainSend extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookUncertainSend";
  }
}

/** An image (JPG/PNG ≤ 2 MB) goes as an image message, anything else as a file. */
async function readMedia(file: string): Promise<{ image: boolean; bytes: Buffer }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new DefiniteSendFailure(`读不到要发送的文件 ${path.basename(file)}：${(e as Error).message}`);
  }
  if (size < WEBHOOK_FILE_MIN_BYTES || size > WEBHOOK_FILE_MAX_BYTES) throw new DefiniteSendFailure(`文件 ${path.basename(file)} 大小 ${size} 字节，群机器人只收 5 字节到 20 MB`);
  const bytes = await readFile(file);
  const png = bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const jpg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  return { image: (png || jpg) && bytes.length <= WEBHOOK_IMAGE_MAX_BYTES, bytes };
}
