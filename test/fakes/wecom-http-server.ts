// A fake WeCom HTTP API for channel tests: one node:http server on 127.0.0.1 (port 0).
//
// Modelled from the public WeCom developer documentation as I remember it (developer.work.weixin.qq.com;
// I could not consult it while writing this, so where I was unsure the fake is STRICTER than the platform):
//
// 自建应用 (应用消息)
//   GET  /cgi-bin/gettoken?corpid&corpsecret   — 获取access_token, document/path/91039
//        → { errcode:0, errmsg:"ok", access_token, expires_in }. Within its lifetime the same token is returned
//        again (expires_in = what is left); a new one once it expired or was invalidated.
//        41002 missing corpid · 41004 missing corpsecret · 40013 invalid corpid · 40001 invalid secret
//        (60020 here only when `untrustedIpAlsoGettoken`: I am not sure gettoken checks 可信IP)
//   POST /cgi-bin/message/send?access_token    — 发送应用消息, document/path/90236
//        body { touser:"a|b", msgtype, agentid:<integer>, text|markdown:{content} | image|file:{media_id} }
//        → { errcode:0, errmsg:"ok", invaliduser, invalidparty, invalidtag, unlicenseduser, msgid }
//        41001 missing token · 40014 invalid token · 42001 expired token · 60020 untrusted IP ·
//        47001 body not JSON · 40056 agentid not this app's (strict: must be a JSON integer) · 40008 msgtype ·
//        44004 empty content · 45002 content over 2,048 bytes (the platform TRUNCATES text instead: the fake
//        refuses, so a truncation cannot go unnoticed) · 40007 unknown/expired (3 days) media_id ·
//        82001 no touser · 81013 every recipient unknown or outside the visible range (some unknown:
//        errcode 0 and `invaliduser`).
//        Rate (全局错误码/发送应用消息 频率限制): 30 a minute and 1,000 an hour per member; the excess is
//        accepted with errcode 0 and silently dropped — recorded here as `dropped: true`.
//   POST /cgi-bin/media/upload?access_token&type=image|voice|video|file — 上传临时素材, document/path/90253
//        multipart/form-data, field `media` with a filename (the docs also show `filelength`; not required
//        here: common SDKs omit it). → { errcode:0, errmsg:"ok", type, media_id, created_at:"<secs>" }
//        40004 invalid type · 44001 no media part · 40006 size outside 5 B – 20 MB (file) ·
//        40009 image over 10 MB · 40005 image that is not JPG/PNG (checked by magic bytes, strict).
// 群机器人 (webhook), document/path/91770 (消息推送配置说明)
//   POST /cgi-bin/webhook/send?key                — text {content ≤ 2,048 B, mentioned_list?: string[],
//        mentioned_mobile_list?: string[]} · markdown {content ≤ 4,096 B} · image {base64, md5} (≤ 2 MB before
//        base64, JPG/PNG, md5 of the raw bytes, lower-case hex) · file {media_id}
//        93000 invalid key · 47001 not JSON · 40008 msgtype · 44004 empty content · 40058 bad/too long
//        parameter · 40009 image too big · 40005 not JPG/PNG · 301019 md5 mismatch (the exact code for a
//        wrong md5 I am not sure of; the channel treats every errcode ≠ 0 alike) · 40007 media_id ·
//        45009 more than 20 messages in any 60 s (sliding window: stricter than a per-minute bucket).
//   POST /cgi-bin/webhook/upload_media?key&type=file — multipart field `media`, 5 B – 20 MB, 93000, 40004,
//        40006 → { errcode:0, errmsg:"ok", type:"file", media_id, created_at }
// Wrong HTTP method: 43001 需要GET请求 / 43002 需要POST请求. Unknown path: HTTP 404.
// Test levers: `hang(path)` (never answers), `failNext(path, status)` (a 5xx without JSON), `expireTokens()`,
// `revokeTokens()`, `untrustedIp`, and a shared clock (`now`).
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeWecomOptions {
  now?: () => number;
  corpId?: string;
  secret?: string;
  agentId?: number;
  /** members in the app's visible range */
  users?: string[];
  /** seconds; default 7200 */
  expiresIn?: number;
  /** message/send and media/upload answer 60020 */
  untrustedIp?: boolean;
  untrustedIpAlsoGettoken?: boolean;
  /** valid 群机器人 keys */
  webhookKeys?: string[];
}

export interface AppMessage {
  touser: string;
  msgtype: string;
  body: any;
  at: number;
  /** over 30/min or 1000/h for that member: accepted, never delivered (as the platform does) */
  dropped: boolean;
}
export interface RobotMessage {
  key: string;
  msgtype: string;
  body: any;
  at: number;
}
export interface Media {
  id: string;
  owner: string; // "app" or a webhook key
  type: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
  at: number;
}

const MB = 1024 * 1024;
const MEDIA_TTL_MS = 3 * 24 * 3600 * 1000;

export interface FakeWecom {
  base: string;
  opts: Required<Omit<FakeWecomOptions, "now">> & { now: () => number };
  requests: { method: string; path: string; errcode?: number }[];
  gettokenCalls: number;
  appMessages: AppMessage[];
  robotMessages: RobotMessage[];
  media: Map<string, Media>;
  /** requests to this path are held open, never answered */
  hang(path: string): void;
  /** the next request to this path gets this HTTP status and a non-JSON body */
  failNext(path: string, status: number): void;
  expireTokens(): void;
  revokeTokens(): void;
  close(): Promise<void>;
}

export async function startFakeWecom(options: FakeWecomOptions = {}): Promise<FakeWecom> {
  const opts = {
    now: options.now ?? Date.now,
    corpId: options.corpId ?? "ww0123456789abcdef",
    secret: options.secret ?? "app-secret-0123456789abcdefghijklmnopqrstuv",
    agentId: options.agentId ?? 1000002,
    users: options.users ?? ["zhangsan", "lisi"],
    expiresIn: options.expiresIn ?? 7200,
    untrustedIp: options.untrustedIp ?? false,
    untrustedIpAlsoGettoken: options.untrustedIpAlsoGettoken ?? false,
    webhookKeys: options.webhookKeys ?? [],
  };
  const now = () => opts.now();
  const tokens = new Map<string, { expiresAt: number; revoked: boolean }>();
  let current: string | undefined;
  const hung = new Set<string>();
  const failing = new Map<string, number>();
  const robotCalls = new Map<string, number[]>();

  const fake: FakeWecom = {
    base: "",
    opts,
    requests: [],
    gettokenCalls: 0,
    appMessages: [],
    robotMessages: [],
    media: new Map(),
    hang: (p) => void hung.add(p),
    failNext: (p, status) => void failing.set(p, status),
    expireTokens() {
      for (const t of tokens.values()) t.expiresAt = now() - 1;
    },
    revokeTokens() {
      for (const t of tokens.values()) t.revoked = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const err = (errcode: number, errmsg: string) => ({ errcode, errmsg: `${errmsg}, hint: [${randomBytes(6).toString("hex")}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}` });

  /** null when the token is good, else the error */
  function tokenError(t: string | null): object | null {
    if (!t) return err(41001, "access_token missing");
    const rec = tokens.get(t);
    if (!rec || rec.revoked) return err(40014, "invalid access_token");
    if (now() >= rec.expiresAt) return err(42001, "access_token expired");
    return null;
  }

  function newMedia(owner: string, type: string, part: Part): Media {
    const m: Media = { id: "3" + randomBytes(24).toString("base64url"), owner, type, filename: part.filename!, contentType: part.contentType, bytes: part.data, at: now() };
    fake.media.set(m.id, m);
    return m;
  }
  function mediaOk(id: unknown, owner: string, type: string): boolean {
    const m = typeof id === "string" ? fake.media.get(id) : undefined;
    return !!m && m.owner === owner && m.type === type && now() - m.at < MEDIA_TTL_MS;
  }

  /** The upload checks shared by media/upload and webhook/upload_media. */
  function checkUpload(req: http.IncomingMessage, body: Buffer, type: string): { part: Part } | { error: object } {
    const parts = parseMultipart(req.headers["content-type"], body);
    const part = parts?.find((p) => p.name === "media" && p.filename !== undefined);
    if (!part || !part.filename) return { error: err(44001, "empty media data") };
    const size = part.data.length;
    if (size < 5) return { error: err(40006, "invalid file size") };
    if (type === "image") {
      if (size > 10 * MB) return { error: err(40009, "invalid image size") };
      if (!isJpegOrPng(part.data)) return { error: err(40005, "invalid file type") };
    } else if (type === "voice" && size > 2 * MB) return { error: err(40006, "invalid file size") };
    else if (type === "video" && size > 10 * MB) return { error: err(40006, "invalid file size") };
    else if (size > 20 * MB) return { error: err(40006, "invalid file size") };
    return { part };
  }

  function handle(req: http.IncomingMessage, body: Buffer, q: URLSearchParams, path: string): object | undefined {
    const method = req.method ?? "GET";
    switch (path) {
      case "/cgi-bin/gettoken": {
        if (method !== "GET") return err(43001, "require GET method");
        fake.gettokenCalls++;
        const corpid = q.get("corpid");
        const secret = q.get("corpsecret");
        if (!corpid) return err(41002, "corpid missing");
        if (!secret) return err(41004, "corpsecret missing");
        if (corpid !== opts.corpId) return err(40013, "invalid corpid");
        if (secret !== opts.secret) return err(40001, "invalid credential");
        if (opts.untrustedIpAlsoGettoken) return err(60020, "not allow to access from your ip");
        const rec = current ? tokens.get(current) : undefined;
        if (!current || !rec || rec.revoked || now() >= rec.expiresAt) {
          current = randomBytes(32).toString("base64url");
          tokens.set(current, { expiresAt: now() + opts.expiresIn * 1000, revoked: false });
        }
        const left = Math.max(0, Math.floor((tokens.get(current)!.expiresAt - now()) / 1000));
        return { errcode: 0, errmsg: "ok", access_token: current, expires_in: left };
      }
      case "/cgi-bin/message/send": {
        if (method !== "POST") return err(43002, "require POST method");
        const te = tokenError(q.get("access_token"));
        if (te) return te;
        if (opts.untrustedIp) return err(60020, "not allow to access from your ip");
        const m = parseJson(body);
        if (!m || typeof m !== "object") return err(47001, "data format error");
        if (typeof m.agentid !== "number" || m.agentid !== opts.agentId) return err(40056, "invalid agentid");
        if (typeof m.touser !== "string" || !m.touser) return err(82001, "All touser & toparty & totag invalid");
        const bad = checkContent(m, { text: 2048, markdown: 2048, base64Images: false }, 45002, "content size out of limit", (id, type) => mediaOk(id, "app", type));
        if (bad) return bad;
        const all = m.touser.split("|");
        const valid = all.filter((u: string) => opts.users.includes(u));
        const invalid = all.filter((u: string) => !opts.users.includes(u));
        if (!valid.length) return err(81013, "user & party & tag all invalid");
        for (const u of valid) {
          const sent = fake.appMessages.filter((x) => x.touser === u && !x.dropped);
          const minute = sent.filter((x) => x.at > now() - 60_000).length;
          const hour = sent.filter((x) => x.at > now() - 3_600_000).length;
          fake.appMessages.push({ touser: u, msgtype: m.msgtype, body: m, at: now(), dropped: minute >= 30 || hour >= 1000 });
        }
        return { errcode: 0, errmsg: "ok", invaliduser: invalid.join("|"), invalidparty: "", invalidtag: "", unlicenseduser: "", msgid: randomBytes(16).toString("hex") };
      }
      case "/cgi-bin/media/upload": {
        if (method !== "POST") return err(43002, "require POST method");
        const te = tokenError(q.get("access_token"));
        if (te) return te;
        if (opts.untrustedIp) return err(60020, "not allow to access from your ip");
        const type = q.get("type") ?? "";
        if (!["image", "voice", "video", "file"].includes(type)) return err(40004, "invalid media type");
        const r = checkUpload(req, body, type);
        if ("error" in r) return r.error;
        const media = newMedia("app", type, r.part);
        return { errcode: 0, errmsg: "ok", type, media_id: media.id, created_at: String(Math.floor(now() / 1000)) };
      }
      case "/cgi-bin/webhook/send": {
        if (method !== "POST") return err(43002, "require POST method");
        const key = q.get("key") ?? "";
        if (!opts.webhookKeys.includes(key)) return err(93000, "invalid webhook url");
        const m = parseJson(body);
        if (!m || typeof m !== "object") return err(47001, "data format error");
        const bad = checkContent(m, { text: 2048, markdown: 4096, base64Images: true }, 40058, "content exceed max length", (id, type) => mediaOk(id, key, type));
        if (bad) return bad;
        if (m.msgtype === "text") {
          for (const f of ["mentioned_list", "mentioned_mobile_list"]) {
            const l = m.text[f];
            if (l !== undefined && (!Array.isArray(l) || l.some((x: unknown) => typeof x !== "string"))) return err(40058, `invalid ${f}`);
          }
        }
        const calls = (robotCalls.get(key) ?? []).filter((t) => t > now() - 60_000);
        robotCalls.set(key, calls);
        if (calls.length >= 20) return err(45009, "api freq out of limit");
        calls.push(now());
        fake.robotMessages.push({ key, msgtype: m.msgtype, body: m, at: now() });
        return { errcode: 0, errmsg: "ok" };
      }
      case "/cgi-bin/webhook/upload_media": {
        if (method !== "POST") return err(43002, "require POST method");
        const key = q.get("key") ?? "";
        if (!opts.webhookKeys.includes(key)) return err(93000, "invalid webhook url");
        const type = q.get("type") ?? "";
        if (type !== "file") return err(40004, "invalid media type");
        const r = checkUpload(req, body, type);
        if ("error" in r) return r.error;
        const media = newMedia(key, "file", r.part);
        return { errcode: 0, errmsg: "ok", type: "file", media_id: media.id, created_at: String(Math.floor(now() / 1000)) };
      }
      default:
        return undefined;
    }
  }

  /** msgtype and its content: text/markdown byte limits, images by base64 (webhook) or media_id (app), files by media_id. */
  function checkContent(m: any, lim: { text: number; markdown: number; base64Images: boolean }, tooLong: number, tooLongMsg: string, media: (id: unknown, type: string) => boolean): object | null {
    if (!["text", "markdown", "image", "file"].includes(m.msgtype) || typeof m[m.msgtype] !== "object" || !m[m.msgtype]) return err(40008, "invalid message type");
    const c = m[m.msgtype];
    if (m.msgtype === "text" || m.msgtype === "markdown") {
      if (typeof c.content !== "string" || !c.content.length) return err(44004, "empty content");
      const max = m.msgtype === "markdown" ? lim.markdown : lim.text;
      const n = Buffer.byteLength(c.content, "utf8");
      if (n > max) return err(tooLong, `${m.msgtype}.content ${tooLongMsg} ${max}`);
      return null;
    }
    if (m.msgtype === "image" && lim.base64Images) {
      if (typeof c.base64 !== "string" || typeof c.md5 !== "string") return err(40058, "invalid image");
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(c.base64) || c.base64.length % 4 !== 0) return err(40058, "invalid base64");
      const raw = Buffer.from(c.base64, "base64");
      if (raw.length > 2 * MB) return err(40009, "invalid image size");
      if (!isJpegOrPng(raw)) return err(40005, "invalid file type");
      if (createHash("md5").update(raw).digest("hex") !== c.md5) return err(301019, "media md5 not match");
      return null;
    }
    if (!media(c.media_id, m.msgtype)) return err(40007, "invalid media_id");
    return null;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 25 * MB) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const path = url.pathname;
      if (hung.has(path)) {
        fake.requests.push({ method: req.method ?? "", path });
        return; // never answered; closeAllConnections() ends it
      }
      const status = failing.get(path);
      if (status) {
        failing.delete(path);
        fake.requests.push({ method: req.method ?? "", path });
        res.writeHead(status, { "content-type": "text/html" }).end("<html><body>502 Bad Gateway</body></html>");
        return;
      }
      const out = handle(req, Buffer.concat(chunks), url.searchParams, path) as { errcode?: number } | undefined;
      fake.requests.push({ method: req.method ?? "", path, errcode: out?.errcode });
      if (!out) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function parseJson(b: Buffer): any {
  try {
    return JSON.parse(b.toString("utf8"));
  } catch {
    return undefined;
  }
}

export function isJpegOrPng(b: Buffer): boolean {
  const png = b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a;
  const jpg = b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  return png || jpg;
}

interface Part {
  name?: string;
  filename?: string;
  contentType: string;
  data: Buffer;
}

/** multipart/form-data (RFC 7578), strict: a boundary in the header, CRLF line ends, a closing delimiter. */
export function parseMultipart(contentType: string | undefined, body: Buffer): Part[] | undefined {
  const m = /^multipart\/form-data;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  if (!m) return undefined;
  const delim = Buffer.from("--" + (m[1] ?? m[2]));
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) return undefined;
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === "--") return parts; // the closing delimiter
    if (body.subarray(pos, pos + 2).toString() !== "\r\n") return undefined;
    pos += 2;
    const headEnd = body.indexOf("\r\n\r\n", pos);
    if (headEnd < 0) return undefined;
    const head = body.subarray(pos, headEnd).toString("utf8");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delim]), headEnd + 4);
    if (next < 0) return undefined;
    const disp = /content-disposition:\s*form-data(.*)/i.exec(head)?.[1] ?? "";
    const name = /;\s*name="([^"]*)"/i.exec(disp)?.[1];
    const filename = /;\s*filename="([^"]*)"/i.exec(disp)?.[1];
    const ct = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? "text/plain";
    parts.push({ name, filename: filename === undefined ? undefined : decodeURIComponentSafe(filename), contentType: ct, data: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/%(?![0-9A-Fa-f]{2})/g, "%25"));
  } catch {
    return s;
  }
}
