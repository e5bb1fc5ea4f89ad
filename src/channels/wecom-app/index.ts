// The WeCom 自建应用 channel (SPEC §8): send only. Private messages (text, markdown), images and files to
// any member in the app's visible range, through the 应用消息 API — also to people who never wrote to the
// bot (digests, reminders). It never receives: start() only checks the credentials.
//
// Switched on by WECOM_CORP_ID + WECOM_AGENT_ID + WECOM_AGENT_SECRET (+ WECOM_API_BASE); see
// `wecomAppOptionsFromEnv`. Endpoints (public docs, developer.work.weixin.qq.com):
//   GET  {base}/cgi-bin/gettoken?corpid=&corpsecret=          → access_token, expires_in   (document/path/91039)
//   POST {base}/cgi-bin/message/send?access_token=            text / markdown / image / file (document/path/90236)
//   POST {base}/cgi-bin/media/upload?access_token=&type=      multipart field `media` → media_id (document/path/90253)
// Limits: content ≤ 2,048 bytes (the platform truncates longer text: we refuse it instead); 30 messages a
// minute and 1,000 an hour per member, the excess silently dropped — we declare 16 a minute, which keeps
// both (16 × 60 = 960 an hour) with room to spare. Images ≤ 10 MB (JPG/PNG), files 5 B – 20 MB.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { DefiniteSendFailure, type Channel, type ChannelLimits, type Delivery, type Inbound, type Target } from "../../core/ports.ts";
import { appHint, RATE_CODES, TOKEN_CODES, WecomApiError, WecomUncertainSend } from "./errors.ts";
import { callJson, HttpFailure, mask, sizeWithin, type ChannelLog, type Fetch } from "../wecom-common/http.ts";
import { SlidingWindow, type Slot } from "../wecom-common/limiter.ts";

export { WecomApiError, WecomUncertainSend } from "./errors.ts";
export type { ChannelLog, Fetch } from "../wecom-common/http.ts";

export const WECOM_DEFAULT_BASE = "https://qyapi.weixin.qq.com";
/** gettoken's answers for a wrong or missing corp id / secret: nothing will work until they are corrected */
const CREDENTIAL_CODES = new Set([40001, 40013, 40091, 41002, 41004]);
export const WECOM_APP_LIMITS: ChannelLimits = { maxBytes: 2048, perTarget: 16, windowMs: 60_000, files: true };
/** markdown content, as the platform counts it (the caller escapes and splits; see ../wecom-webhook/markdown.ts) */
export const WECOM_APP_MARKDOWN_MAX_BYTES = 2048;
export const APP_IMAGE_MAX_BYTES = 10 * 1024 * 1024;
export const APP_FILE_MAX_BYTES = 20 * 1024 * 1024;
export const MEDIA_MIN_BYTES = 5;

/** A WeCom userid: 1–64 of letters, digits, `_ - @ .` (what the admin console accepts). */
const USERID = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * What `send` accepts: a Delivery, and optionally `markdown` — a body already built with escaped user text
 * (`md` / `escapeMarkdown` of ../wecom-webhook/markdown.ts), sent instead of `text` as msgtype markdown.
 * (Delivery itself has no markdown field yet; when ports.ts gains one of this name, nothing here changes.)
 */
export type WecomDelivery = Delivery & { markdown?: string };

export interface WecomAppOptions {
  corpId: string;
  /** the app's AgentId (digits) */
  agentId: string | number;
  /** the app's Secret */
  secret: string;
  /** default https://qyapi.weixin.qq.com (WECOM_API_BASE: a proxy, a private deployment, a test) */
  apiBase?: string;
  log: ChannelLog;
  fetch?: Fetch;
  now?: () => number;
  /** per call (token, message) — default 10 s */
  timeoutMs?: number;
  /** per upload — default 60 s */
  uploadTimeoutMs?: number;
}

export interface WecomAppChannel extends Channel {
  send(d: WecomDelivery): Promise<void>;
  /** fetch a token now: true when the credentials work (logged either way) */
  check(): Promise<boolean>;
}

/** The options from the environment, or undefined when the channel is not switched on (no WECOM_CORP_ID). */
export function wecomAppOptionsFromEnv(env: NodeJS.ProcessEnv, log: ChannelLog): WecomAppOptions | undefined {
  const corpId = env.WECOM_CORP_ID?.trim();
  const agentId = env.WECOM_AGENT_ID?.trim();
  const secret = env.WECOM_AGENT_SECRET?.trim();
  if (!corpId && !agentId && !secret) return undefined;
  return { corpId: corpId ?? "", agentId: agentId ?? "", secret: secret ?? "", apiBase: env.WECOM_API_BASE?.trim() || undefined, log };
}

export function createWecomAppChannel(o: WecomAppOptions): WecomAppChannel {
  const base = (o.apiBase || WECOM_DEFAULT_BASE).replace(/\/+$/, "");
  const fetchFn = o.fetch ?? globalThis.fetch;
  const now = o.now ?? Date.now;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const uploadTimeoutMs = o.uploadTimeoutMs ?? 60_000;
  const log = o.log;
  const agentIdText = String(o.agentId ?? "").trim();
  const agentid = /^\d{1,10}$/.test(agentIdText) ? Number(agentIdText) : NaN;
  const window = new SlidingWindow(WECOM_APP_LIMITS.perTarget, WECOM_APP_LIMITS.windowMs, now);
  const baseHint = base === WECOM_DEFAULT_BASE ? "请检查本机能否访问 qyapi.weixin.qq.com（防火墙、代理）" : `请检查 WECOM_API_BASE（现为 ${base}）`;

  let cached: { token: string; refreshAt: number } | undefined;
  /** the last check() failed because WeCom refused the credentials (or they are missing), not the network */
  let refused = false;
  let inflight: Promise<string> | undefined;

  /** Missing or malformed settings, named by their variable (no network needed to find these). */
  function configProblem(): { hint: string; check: string } | undefined {
    if (!o.corpId) return { hint: "缺少企业ID：请设置 WECOM_CORP_ID", check: "WECOM_CORP_ID" };
    if (!o.secret) return { hint: "缺少应用 Secret：请设置 WECOM_AGENT_SECRET", check: "WECOM_AGENT_SECRET" };
    if (Number.isNaN(agentid)) return { hint: `AgentId 应为数字（现为「${agentIdText}」）：请检查 WECOM_AGENT_ID`, check: "WECOM_AGENT_ID" };
    return undefined;
  }

  function apiError(what: string, r: Record<string, unknown>, ctx: { touser?: string } = {}): WecomApiError {
    const errcode = Number(r.errcode);
    const errmsg = String(r.errmsg ?? "");
    const h = appHint(errcode, errmsg, ctx);
    const level = RATE_CODES.has(errcode) || errcode === -1 ? "warn" : "error";
    log[level]("wecom-app.refused", { call: what, errcode, errmsg, hint: h.hint, ...(h.check ? { check: h.check } : {}), ...(ctx.touser ? { to: ctx.touser } : {}) });
    return new WecomApiError(errcode, errmsg, h);
  }

  async function fetchToken(): Promise<string> {
    const bad = configProblem();
    if (bad) {
      log.error("wecom-app.config", bad);
      throw new DefiniteSendFailure(bad.hint);
    }
    const url = `${base}/cgi-bin/gettoken?corpid=${encodeURIComponent(o.corpId)}&corpsecret=${encodeURIComponent(o.secret)}`;
    let r: Record<string, unknown>;
    try {
      r = await callJson(fetchFn, url, { method: "GET" }, timeoutMs, "获取 access_token");
    } catch (e) {
      const msg = `${(e as Error).message}：${baseHint}`;
      log.error("wecom-app.unreachable", { call: "gettoken", error: msg, check: "WECOM_API_BASE" });
      throw new DefiniteSendFailure(msg); // nothing was sent yet
    }
    if (r.errcode !== 0 || typeof r.access_token !== "string" || !r.access_token) throw apiError("gettoken", r.errcode === 0 ? { errcode: -2, errmsg: "no access_token" } : r);
    const expiresIn = Number(r.expires_in) > 0 ? Number(r.expires_in) : 7200;
    // refresh ahead of expiry: 5 minutes before, or a tenth of a short lifetime
    const margin = Math.min(300, expiresIn / 10);
    cached = { token: r.access_token, refreshAt: now() + (expiresIn - margin) * 1000 };
    return r.access_token;
  }

  function token(): Promise<string> {
    if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
    inflight ??= fetchToken().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  /**
   * A call that needs the token; on 40014 / 42001 the token is fetched afresh and the call made once more.
   * `sends`: this call is message/send (its network failures may mean it went out).
   */
  async function withToken(what: string, call: (token: string) => Promise<Record<string, unknown>>, ctx: { touser?: string }, sends: boolean): Promise<Record<string, unknown>> {
    const attempt = async (tok: string) => {
      try {
        return await call(tok);
      } catch (e) {
        if (!(e instanceof HttpFailure)) throw e;
        if (e.kind === "connect") {
          log.error("wecom-app.unreachable", { call: what, error: `${e.message}：${baseHint}`, check: "WECOM_API_BASE" });
          throw new DefiniteSendFailure(e.message);
        }
        if (!sends) throw new DefiniteSendFailure(e.message);
        log.warn("wecom-app.uncertain", { call: what, error: e.message, ...(ctx.touser ? { to: ctx.touser } : {}) });
        throw new WecomUncertainSend(`${e.message}（可能已发出）`);
      }
    };
    const first = await token();
    let r = await attempt(first);
    if (TOKEN_CODES.has(Number(r.errcode))) {
      log.info("wecom-app.token_refresh", { call: what, errcode: r.errcode });
      if (cached?.token === first) cached = undefined;
      r = await attempt(await token());
    }
    if (r.errcode !== 0) {
      if (RATE_CODES.has(Number(r.errcode)) && ctx.touser) window.block(ctx.touser);
      throw apiError(what, r, ctx);
    }
    return r;
  }

  async function message(touser: string, slot: Slot, body: Record<string, unknown>): Promise<void> {
    const r = await withToken(
      "message/send",
      (tok) => {
        slot.stamp();
        return callJson(
          fetchFn,
          `${base}/cgi-bin/message/send?access_token=${encodeURIComponent(tok)}`,
          { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify({ touser, agentid, ...body }) },
          timeoutMs,
          "发送应用消息",
        );
      },
      { touser },
      true,
    );
    // errcode 0 with the user listed as invalid: it did not reach them
    if (typeof r.invaliduser === "string" && r.invaliduser.split("|").includes(touser)) throw apiError("message/send", { errcode: 81013, errmsg: `invaliduser: ${r.invaliduser}` }, { touser });
    if (typeof r.unlicenseduser === "string" && r.unlicenseduser.split("|").includes(touser)) {
      const e = new WecomApiError(0, `unlicenseduser: ${touser}`, { hint: `成员 ${touser} 没有企业微信接口许可（unlicenseduser），收不到应用消息`, check: "members[].id" });
      log.error("wecom-app.refused", { call: "message/send", to: touser, errmsg: e.errmsg, hint: e.hint.hint, check: e.hint.check });
      throw e;
    }
  }

  async function upload(file: string, type: "file" | "image", bytes: Buffer): Promise<string> {
    const r = await withToken(
      "media/upload",
      (tok) => {
        const form = new FormData();
        form.append("media", new Blob([new Uint8Array(bytes)], { type: type === "image" ? imageMime(file) : "application/octet-stream" }), path.basename(file));
        return callJson(fetchFn, `${base}/cgi-bin/media/upload?access_token=${encodeURIComponent(tok)}&type=${type}`, { method: "POST", body: form }, uploadTimeoutMs, "上传文件");
      },
      {},
      false,
    );
    if (typeof r.media_id !== "string" || !r.media_id) throw new DefiniteSendFailure("上传文件：应答里没有 media_id");
    return r.media_id;
  }

  return {
    name: "wecom-app",
    limits: WECOM_APP_LIMITS,
    account: () => `${o.corpId}:${agentIdText}`,
    overhead: () => 0,

    healthy: () => !refused && !!cached,

    async start(_deliver: (m: Inbound) => Promise<void>) {
      // send only: `_deliver` is never called. Credentials refused (or missing): the channel is not
      // started and reaches nothing (the app routes around it); the network down: it tries again per send
      if (!(await this.check()) && refused) throw new Error(`企业微信自建应用的凭证被拒绝或不全，未启用（见上一行 wecom-app.not_ready）`);
    },

    async check() {
      refused = false;
      try {
        await token();
        log.info("wecom-app.ready", {
          msg: `企业微信自建应用已连通：access_token 获取成功（企业ID ${o.corpId}，AgentId ${agentIdText}，Secret ${mask(o.secret)}）。AgentId、可信IP 和可见范围在第一次发消息时由企业微信检查`,
        });
        return true;
      } catch (e) {
        refused = (e instanceof WecomApiError && CREDENTIAL_CODES.has(e.errcode)) || configProblem() !== undefined;
        log.error("wecom-app.not_ready", { msg: `企业微信自建应用不可用，私信将不能经它发出：${(e as Error).message}` });
        return false;
      }
    },

    canReach(d: Pick<Delivery, "target" | "file">) {
      if (d.target.kind !== "contact" || !USERID.test(d.target.id)) return false;
      return !d.file || sizeWithin(d.file, MEDIA_MIN_BYTES, APP_FILE_MAX_BYTES);
    },

    async send(d: WecomDelivery) {
      const target: Target = d.target;
      if (target.kind !== "contact") throw new DefiniteSendFailure("自建应用只能私信成员，不能发到群");
      const touser = target.id;
      if (!USERID.test(touser)) throw new DefiniteSendFailure(`「${touser}」不是企业微信成员账号（userid）`);
      type Part = { text: string } | { markdown: string } | { file: string };
      const parts: Part[] = [];
      if (d.markdown !== undefined) parts.push({ markdown: d.markdown });
      else if (d.text !== undefined) parts.push({ text: d.text });
      if (d.file) parts.push({ file: d.file });
      for (const p of parts) {
        const body = "text" in p ? p.text : "markdown" in p ? p.markdown : undefined;
        if (body === undefined) continue;
        const n = Buffer.byteLength(body, "utf8");
        if (!body.trim()) throw new DefiniteSendFailure("消息内容为空");
        const max = "text" in p ? WECOM_APP_LIMITS.maxBytes : WECOM_APP_MARKDOWN_MAX_BYTES;
        if (n > max) throw new DefiniteSendFailure(`消息 ${n} 字节，超过自建应用的上限 ${max} 字节（应先拆分）`);
      }
      if (!parts.length) return;
      const slots = window.reserve(touser, parts.length);
      if (!slots) {
        const wait = Math.ceil((window.freeAt(touser, parts.length) - now()) / 1000);
        log.warn("wecom-app.rate_limited", { to: touser, waitSeconds: wait });
        throw new DefiniteSendFailure(`给 ${touser} 的应用消息已达每分钟 ${WECOM_APP_LIMITS.perTarget} 条，${wait} 秒后再发`);
      }
      let delivered = 0;
      try {
        for (let i = 0; i < parts.length; i++, delivered++) {
          const p = parts[i];
          if ("text" in p) await message(touser, slots[i], { msgtype: "text", text: { content: p.text } });
          else if ("markdown" in p) await message(touser, slots[i], { msgtype: "markdown", markdown: { content: p.markdown } });
          else {
            const { type, bytes } = await readMedia(p.file);
            const mediaId = await upload(p.file, type, bytes);
            await message(touser, slots[i], { msgtype: type, [type]: { media_id: mediaId } });
          }
        }
      } catch (e) {
        // a slot whose call was never made is given back; a call that was made counts, refused or not
        for (const s of slots) s.release();
        // text and file in one Delivery (the outbox sends them apart): once one went out, a retry would repeat it
        if (delivered && e instanceof DefiniteSendFailure) throw new WecomUncertainSend(`前 ${delivered} 部分已发出，其余未发出：${e.message}`);
        throw e;
      }
    },

    async stop() {
      cached = undefined;
    },
  };
}

/** The file's bytes and how to send it: an image (JPG/PNG ≤ 10 MB) shows inline, anything else is a file. */
async function readMedia(file: string): Promise<{ type: "file" | "image"; bytes: Buffer }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new DefiniteSendFailure(`读不到要发送的文件 ${path.basename(file)}：${(e as Error).message}`);
  }
  if (size < MEDIA_MIN_BYTES || size > APP_FILE_MAX_BYTES) throw new DefiniteSendFailure(`文件 ${path.basename(file)} 大小 ${size} 字节，企业微信只收 5 字节到 20 MB`);
  const bytes = await readFile(file);
  const type = isJpegOrPng(bytes) && bytes.length <= APP_IMAGE_MAX_BYTES ? "image" : "file";
  return { type, bytes };
}

export function isJpegOrPng(b: Buffer): boolean {
  const png = b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
  const jpg = b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  return png || jpg;
}

function imageMime(file: string): string {
  return /\.png$/i.test(file) ? "image/png" : "image/jpeg";
}
