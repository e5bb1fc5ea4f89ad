// A local stand-in for the WeCom 智能机器人 long-connection server (wss://openws.work.weixin.qq.com), for
// channel tests. Modelled on what @wecom/aibot-node-sdk 1.0.7 sends and expects (dist/index.cjs.js, the
// file Node loads, and dist/types/*.d.ts); never more lenient than the platform — where the real rule is
// unknown it is stricter. Frames modelled:
//
// client → server (cmd constants, index.cjs.js:66-91):
//   aibot_subscribe   {bot_id, secret}                (sendAuth, 347-363) → ack, or the error frame below
//   ping                                               (sendHeartbeat, 473-494) → ack
//   aibot_respond_msg {msgtype:"stream", stream:{id, finish, content}} on a callback's req_id
//                                                      (replyStream 1020-1038) → ack / error
//   aibot_respond_msg {msgtype:file|image, …:{media_id}} (replyMedia 1281-1294)
//   aibot_send_msg    {chatid, msgtype:"markdown", markdown:{content}} | {chatid, msgtype:file|image, …}
//                                                      (sendMessage 1153-1160, sendMediaMessage 1305-1318)
//   aibot_upload_media_init / _chunk / _finish         (uploadMedia 1171-1270: init → {upload_id};
//                                                      chunks of ≤ 512 KB, base64, chunk_index from 0 as the
//                                                      SDK sends it (1210; the .d.ts says "从 1 开始", the
//                                                      code sends 0-based); finish → {type, media_id, created_at})
// server → client:
//   acks: {headers:{req_id}, errcode, errmsg} (no cmd; handleFrame 402-444), with `body` for upload init/finish
//   aibot_msg_callback   {msgid, aibotid, chatid?, chattype, from:{userid}, create_time, msgtype, text|image|mixed}
//                        (types/message.d.ts:86-143; chatid only in groups)
//   aibot_event_callback {msgtype:"event", event:{eventtype:"disconnected_event"}} — sent to the old
//                        connection when a new one authenticates for the same bot (EventType comment,
//                        index.cjs.js:120; handling 384-401)
// media: an image's `url` is served here over HTTP, encrypted as downloadFile/decryptFile (841-878) expect:
//   AES-256-CBC, key = base64-decoded `aeskey` (32 bytes), IV = its first 16 bytes, PKCS#7 padding to a
//   multiple of 32 bytes (not Node's 16: decryptFile turns auto-padding off and accepts pad values ≤ 32).
//   The URL is valid 5 minutes (types/message.d.ts:32 "五分钟内有效").
//
// Error codes: 853000 "invalid bot_id or secret" for a refused subscribe, 846605 "invalid req_id" and
// 846608 "stream message update expired" are what the real server has been reported to answer (third-party
// integrations of this SDK); the others below (40058 and 8466xx "fake:" ones) are this fake's own.
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export const MARKDOWN_MAX_BYTES = 20_480;
const CHUNK_MAX = 512 * 1024;
const MAX_CHUNKS = 100;
const STREAM_WINDOW_MS = 6 * 60_000;
const MEDIA_URL_TTL_MS = 5 * 60_000;

export interface Frame {
  cmd?: string;
  headers: { req_id: string };
  body?: any;
  errcode?: number;
  errmsg?: string;
}

interface Conn {
  ws: WebSocket;
  authed: boolean;
}

interface Callback {
  at: number;
  chat: string; // chatid (group) or userid (single)
  streamId?: string;
  finished: boolean;
}

export interface Sent {
  /** aibot_respond_msg (on a callback's req_id) or aibot_send_msg (proactive) */
  cmd: string;
  reqId: string;
  /** where it lands: the callback's chat for a reply, body.chatid for a proactive send */
  chatid: string;
  body: any;
}

/** AES-256-CBC with IV = key[0..16) and PKCS#7 padding to 32 bytes: the inverse of the SDK's decryptFile. */
export function encryptMedia(plain: Buffer, key: Buffer): Buffer {
  const pad = 32 - (plain.length % 32);
  const padded = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]);
}

export class FakeAibotServer {
  readonly frames: Frame[] = []; // every frame a client sent, in order
  readonly sent: Sent[] = []; // accepted messages (replies and proactive sends)
  readonly uploads = new Map<string, { type: string; filename: string; data: Buffer }>(); // media_id → file
  subscribeAttempts = 0;
  private conns = new Set<Conn>();
  private callbacks = new Map<string, Callback>();
  private chats = new Set<string>();
  private pendingUploads = new Map<string, { type: string; filename: string; size: number; chunks: number; md5?: string; parts: Map<number, Buffer> }>();
  private media = new Map<string, { data: Buffer; expires: number }>();
  private waiters: (() => void)[] = [];
  private seq = 0;
  private http!: Server;
  private wss!: WebSocketServer;
  port = 0;

  constructor(readonly creds: { botId: string; secret: string }, readonly now: () => number = Date.now) {}

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}`;
  }
  get authedConnections() {
    return [...this.conns].filter((c) => c.authed).length;
  }

  async listen(): Promise<this> {
    this.http = createServer((req, res) => {
      const m = /^\/media\/([\w-]+)$/.exec(req.url ?? "");
      const file = m && this.media.get(m[1]);
      if (!file || file.expires < this.now()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": file.data.length }).end(file.data);
    });
    this.wss = new WebSocketServer({ server: this.http });
    this.wss.on("connection", (ws) => {
      const conn: Conn = { ws, authed: false };
      this.conns.add(conn);
      ws.on("message", (raw) => this.onFrame(conn, raw.toString()));
      ws.on("close", () => {
        this.conns.delete(conn);
        this.notify();
      });
    });
    await new Promise<void>((r) => this.http.listen(0, "127.0.0.1", r));
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  /** Resolves when `pred` holds (checked after every frame and connection change). */
  async waitFor(pred: () => boolean, ms = 5000, what = "condition"): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`fake aibot server: timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  private notify() {
    const w = this.waiters.splice(0);
    for (const r of w) r();
  }

  /** A chat the bot can send to (a group it is in, a member of the corp). Pushed messages add theirs. */
  addChat(id: string) {
    this.chats.add(id);
  }

  // ---------------------------------------------------------------- client frames
  private reply(conn: Conn, reqId: string, errcode = 0, errmsg = "ok", body?: unknown) {
    const f: Frame = { headers: { req_id: reqId }, errcode, errmsg };
    if (body !== undefined) f.body = body;
    conn.ws.send(JSON.stringify(f));
  }

  private onFrame(conn: Conn, raw: string) {
    let f: Frame;
    try {
      f = JSON.parse(raw);
    } catch {
      conn.ws.close(1003, "bad frame");
      return;
    }
    this.frames.push(f);
    const reqId = f.headers?.req_id;
    try {
      if (!reqId) return conn.ws.close(1003, "no req_id");
      if (f.cmd === "aibot_subscribe") return this.subscribe(conn, f);
      // stricter than what we know: nothing but a subscribe before authentication
      if (!conn.authed) return this.reply(conn, reqId, 846609, "fake: not subscribed");
      switch (f.cmd) {
        case "ping":
          return this.reply(conn, reqId);
        case "aibot_respond_msg":
          return this.respond(conn, f);
        case "aibot_send_msg":
          return this.sendMsg(conn, f);
        case "aibot_upload_media_init":
          return this.uploadInit(conn, f);
        case "aibot_upload_media_chunk":
          return this.uploadChunk(conn, f);
        case "aibot_upload_media_finish":
          return this.uploadFinish(conn, f);
        default:
          return this.reply(conn, reqId, 846610, `fake: unknown cmd ${f.cmd}`);
      }
    } finally {
      this.notify();
    }
  }

  private subscribe(conn: Conn, f: Frame) {
    this.subscribeAttempts++;
    const { bot_id, secret } = f.body ?? {};
    if (bot_id !== this.creds.botId || secret !== this.creds.secret) {
      this.reply(conn, f.headers.req_id, 853000, "invalid bot_id or secret");
      // and the server is done with this socket (the SDK closes it too, index.cjs.js:416-418)
      setTimeout(() => conn.ws.close(), 200);
      return;
    }
    // one connection per bot: the previous one is told and dropped
    for (const old of this.conns) {
      if (old !== conn && old.authed) {
        this.sendDisconnectedEvent(old);
        old.authed = false;
        setTimeout(() => old.ws.close(), 50);
      }
    }
    conn.authed = true;
    this.reply(conn, f.headers.req_id);
  }

  private checkMarkdown(content: unknown): string | null {
    if (typeof content !== "string" || !content) return "fake: empty content";
    if (Buffer.byteLength(content, "utf8") > MARKDOWN_MAX_BYTES) return `content exceed max length ${MARKDOWN_MAX_BYTES}`;
    return null;
  }

  private checkMedia(body: any): string | null {
    const t = body?.msgtype;
    const id = body?.[t]?.media_id;
    if (!this.uploads.has(id)) return "fake: invalid media_id";
    if (t === "image" && this.uploads.get(id)!.type !== "image") return "fake: media type mismatch";
    return null;
  }

  private respond(conn: Conn, f: Frame) {
    const reqId = f.headers.req_id;
    const cb = this.callbacks.get(reqId);
    if (!cb) return this.reply(conn, reqId, 846605, "invalid req_id");
    const b = f.body ?? {};
    if (b.msgtype === "stream") {
      const s = b.stream ?? {};
      if (this.now() - cb.at > STREAM_WINDOW_MS) return this.reply(conn, reqId, 846608, "stream message update expired");
      if (!s.id) return this.reply(conn, reqId, 40058, "fake: stream.id required");
      if (cb.streamId && cb.streamId !== s.id) return this.reply(conn, reqId, 846611, "fake: one stream per message");
      if (cb.finished) return this.reply(conn, reqId, 846612, "fake: stream already finished");
      if (s.content !== undefined) {
        const bad = this.checkMarkdown(s.content);
        if (bad) return this.reply(conn, reqId, 40058, bad);
      }
      cb.streamId = s.id;
      cb.finished = !!s.finish;
    } else if (["file", "image"].includes(b.msgtype)) {
      const bad = this.checkMedia(b);
      if (bad) return this.reply(conn, reqId, 40058, bad);
    } else {
      return this.reply(conn, reqId, 40058, `fake: msgtype ${b.msgtype} not modelled`);
    }
    this.sent.push({ cmd: f.cmd!, reqId, chatid: cb.chat, body: b });
    this.reply(conn, reqId);
  }

  private sendMsg(conn: Conn, f: Frame) {
    const reqId = f.headers.req_id;
    const b = f.body ?? {};
    if (!b.chatid || !this.chats.has(b.chatid)) return this.reply(conn, reqId, 40058, "fake: unknown chatid");
    let bad: string | null;
    if (b.msgtype === "markdown") bad = this.checkMarkdown(b.markdown?.content);
    else if (["file", "image"].includes(b.msgtype)) bad = this.checkMedia(b);
    else bad = `fake: msgtype ${b.msgtype} not modelled`;
    if (bad) return this.reply(conn, reqId, 40058, bad);
    this.sent.push({ cmd: f.cmd!, reqId, chatid: b.chatid, body: b });
    this.reply(conn, reqId);
  }

  private uploadInit(conn: Conn, f: Frame) {
    const reqId = f.headers.req_id;
    const { type, filename, total_size, total_chunks, md5 } = f.body ?? {};
    if (!["file", "image", "voice", "video"].includes(type) || !filename) return this.reply(conn, reqId, 40058, "fake: bad type/filename");
    if (!(total_size > 0) || total_chunks !== Math.ceil(total_size / CHUNK_MAX) || total_chunks > MAX_CHUNKS)
      return this.reply(conn, reqId, 40058, "fake: bad total_size/total_chunks");
    const id = `upload-${++this.seq}`;
    this.pendingUploads.set(id, { type, filename, size: total_size, chunks: total_chunks, md5, parts: new Map() });
    this.reply(conn, reqId, 0, "ok", { upload_id: id });
  }

  private uploadChunk(conn: Conn, f: Frame) {
    const reqId = f.headers.req_id;
    const { upload_id, chunk_index, base64_data } = f.body ?? {};
    const up = this.pendingUploads.get(upload_id);
    if (!up) return this.reply(conn, reqId, 40058, "fake: unknown upload_id");
    if (!Number.isInteger(chunk_index) || chunk_index < 0 || chunk_index >= up.chunks) return this.reply(conn, reqId, 40058, "fake: bad chunk_index");
    const data = Buffer.from(String(base64_data ?? ""), "base64");
    if (!data.length || data.length > CHUNK_MAX) return this.reply(conn, reqId, 40058, "fake: bad chunk size");
    up.parts.set(chunk_index, data);
    this.reply(conn, reqId);
  }

  private uploadFinish(conn: Conn, f: Frame) {
    const reqId = f.headers.req_id;
    const up = this.pendingUploads.get(f.body?.upload_id);
    if (!up) return this.reply(conn, reqId, 40058, "fake: unknown upload_id");
    const parts = Array.from({ length: up.chunks }, (_, i) => up.parts.get(i));
    if (parts.some((p) => !p)) return this.reply(conn, reqId, 40058, "fake: missing chunks");
    const data = Buffer.concat(parts as Buffer[]);
    if (data.length !== up.size) return this.reply(conn, reqId, 40058, "fake: size mismatch");
    if (up.md5 && createHash("md5").update(data).digest("hex") !== up.md5) return this.reply(conn, reqId, 40058, "fake: md5 mismatch");
    this.pendingUploads.delete(f.body.upload_id);
    const mediaId = `media-${++this.seq}`;
    this.uploads.set(mediaId, { type: up.type, filename: up.filename, data });
    this.reply(conn, reqId, 0, "ok", { type: up.type, media_id: mediaId, created_at: String(Math.floor(this.now() / 1000)) });
  }

  // ---------------------------------------------------------------- pushes
  private authedConn(): Conn {
    const c = [...this.conns].find((x) => x.authed);
    if (!c) throw new Error("fake aibot server: no authenticated connection to push to");
    return c;
  }

  /** Push a raw message callback body (msgid etc. filled in when missing). Returns the callback's req_id. */
  pushBody(body: Record<string, any>, reqId = `cb_${Date.now()}_${++this.seq}`): { reqId: string; msgid: string } {
    const conn = this.authedConn();
    const full: Record<string, any> = { msgid: `msg-${++this.seq}`, aibotid: this.creds.botId, create_time: Math.floor(this.now() / 1000), ...body };
    const chat = full.chattype === "group" ? full.chatid : full.from?.userid;
    this.chats.add(chat);
    if (full.from?.userid) this.chats.add(full.from.userid); // the sender is a member: reachable privately
    this.callbacks.set(reqId, { at: this.now(), chat, finished: false });
    conn.ws.send(JSON.stringify({ cmd: "aibot_msg_callback", headers: { req_id: reqId }, body: full }));
    return { reqId, msgid: full.msgid };
  }

  pushText(o: { userid: string; content: string; chatid?: string; msgid?: string }) {
    return this.pushBody({
      ...(o.msgid ? { msgid: o.msgid } : {}),
      ...(o.chatid ? { chatid: o.chatid, chattype: "group" } : { chattype: "single" }),
      from: { userid: o.userid },
      msgtype: "text",
      text: { content: o.content },
    });
  }

  /** Store `data` encrypted under a fresh key; returns the URL and the aeskey a callback carries. */
  hostMedia(data: Buffer): { url: string; aeskey: string } {
    const key = randomBytes(32);
    const id = randomBytes(8).toString("hex");
    this.media.set(id, { data: encryptMedia(data, key), expires: this.now() + MEDIA_URL_TTL_MS });
    return { url: `http://127.0.0.1:${this.port}/media/${id}`, aeskey: key.toString("base64") };
  }

  /** An image: in a private chat an `image` message; in a group only as "@bot + image", a `mixed` one. */
  pushImage(o: { userid: string; data: Buffer; chatid?: string; text?: string }) {
    const image = this.hostMedia(o.data);
    if (!o.chatid) return { ...this.pushBody({ chattype: "single", from: { userid: o.userid }, msgtype: "image", image }), image };
    return {
      ...this.pushBody({
        chatid: o.chatid,
        chattype: "group",
        from: { userid: o.userid },
        msgtype: "mixed",
        mixed: { msg_item: [{ msgtype: "text", text: { content: o.text ?? "@督办助手 " } }, { msgtype: "image", image }] },
      }),
      image,
    };
  }

  /** Tell a connection (default: the authenticated one) that another connection took over. */
  sendDisconnectedEvent(conn: Conn = this.authedConn()) {
    conn.ws.send(
      JSON.stringify({
        cmd: "aibot_event_callback",
        headers: { req_id: `ev_${++this.seq}` },
        body: { msgid: `ev-${this.seq}`, aibotid: this.creds.botId, create_time: Math.floor(this.now() / 1000), msgtype: "event", event: { eventtype: "disconnected_event" } },
      }),
    );
  }

  /** Drop every connection without a close handshake (a network cut). */
  dropConnections() {
    for (const c of this.conns) c.ws.terminate();
  }
}
