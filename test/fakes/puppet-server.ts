// A puppet service on 127.0.0.1: wechaty-puppet-service's own PuppetServer in front of wechaty-puppet-mock,
// holding a township (the bot, the roster's contacts, the configured groups). What production talks to,
// minus the paid provider: the same gRPC protocol, token check and TLS.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { FileBox } from "file-box";
import { types } from "wechaty";
import { mock, PuppetMock } from "wechaty-puppet-mock";
import { PuppetServer } from "wechaty-puppet-service";
import type { Config } from "../../src/config/schema.ts";

export const BOT = { id: "duban-bot", name: "督办助手" };

/** What the bot said, as the mock received it. */
export interface Sent {
  id: string;
  room?: string;
  to?: string;
  text?: string;
  type: number;
  file?: FileBox;
  /** the mention ids that reached the service with the text (the mock itself drops them) */
  mentions?: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export class FakePuppetService {
  readonly mocker = new mock.Mocker();
  readonly puppet = new PuppetMock({ mocker: this.mocker });
  readonly token = `insecure_${randomUUID()}`;
  readonly self: any;
  readonly contacts = new Map<string, any>();
  /** topic → mock room */
  readonly rooms = new Map<string, any>();
  readonly sent: Sent[] = [];
  endpoint = "";
  private server?: PuppetServer;
  private n = 0;
  private waiters: { match: (s: Sent) => boolean; resolve: (s: Sent) => void }[] = [];
  private mentioning?: string[];

  constructor(cfg: Config, private readonly o: { tls: boolean }) {
    this.self = this.mocker.createContact({ id: BOT.id, name: BOT.name });
    for (const m of cfg.members) this.contacts.set(m.id, this.mocker.createContact({ id: m.id, name: m.name }));
    const members = [BOT.id, ...cfg.members.map((m) => m.id)];
    for (const topic of new Set([...cfg.units.flatMap((u) => u.rooms), ...cfg.rooms.map((r) => r.name)]))
      this.rooms.set(topic, this.mocker.createRoom({ id: `room${this.rooms.size + 1}@chatroom`, topic, memberIdList: members }));
    // the bot's account logs in as soon as the client has started the puppet (mocker.start runs the environments)
    this.mocker.use(() => {
      this.mocker.login(this.self);
      return () => {};
    });
    // the server hands the mock the mention ids that came over gRPC; the mock drops them, so note them here
    const sendText = this.puppet.messageSendText.bind(this.puppet);
    this.puppet.messageSendText = (conversationId: string, text: string, mentionIdList?: string[]) => {
      this.mentioning = mentionIdList;
      const sent = sendText(conversationId, text); // the mock talks synchronously in here
      this.mentioning = undefined;
      return sent;
    };
    // every message the bot's account talks (synchronously inside the send): what Duban sent
    this.self.on("message", (m: any) => {
      const p = m.payload;
      if (p.talkerId !== BOT.id) return;
      const json = this.mocker.cacheFileBoxPayload.get(p.id);
      const s: Sent = { id: p.id, room: p.roomId, to: p.listenerId, text: p.text, type: p.type, file: json ? FileBox.fromJSON(json as any) : undefined, mentions: this.mentioning };
      this.sent.push(s);
      this.waiters = this.waiters.filter((w) => (w.match(s) ? (w.resolve(s), false) : true));
    });
  }

  async start(port?: number): Promise<void> {
    this.endpoint = `127.0.0.1:${port ?? (await freePort())}`;
    this.server = new PuppetServer({ puppet: this.puppet as any, token: this.token, endpoint: this.endpoint, tls: { disable: !this.o.tls } });
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop().catch(() => {});
    await this.puppet.stop().catch(() => {});
  }

  /** Resolves with the first message the bot sends (from now on, or already sent since `after`) that matches. */
  next(match: (s: Sent) => boolean, timeoutMs = 15_000, after = this.sent.length): Promise<Sent> {
    const seen = this.sent.slice(after).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bot sent nothing matching in ${timeoutMs} ms; it sent: ${JSON.stringify(this.sent.map((s) => ({ room: s.room, to: s.to, text: s.text?.slice(0, 80), file: s.file?.name })))}`)), timeoutMs);
      this.waiters.push({ match, resolve: (s) => (clearTimeout(timer), resolve(s)) });
    });
  }

  roomId(topic: string): string {
    const r = this.rooms.get(topic);
    if (!r) throw new Error(`no group ${topic}`);
    return r.id;
  }

  /** A member says `text` in the group with that topic (no mention) or privately to the bot. */
  say(from: string, text: string, topic?: string): string {
    return this.deliver(from, topic, { type: types.Message.Text, text });
  }

  /** A member sends an image file in the group or privately. */
  image(from: string, file: string, topic?: string): string {
    const id = `msg-${++this.n}-${randomUUID()}`;
    const box = FileBox.fromBase64(readFileSync(file).toString("base64"), path.basename(file));
    this.mocker.cacheFileBoxPayload.set(id, box.toJSON() as any);
    return this.deliver(from, topic, { type: types.Message.Image }, id);
  }

  private deliver(from: string, topic: string | undefined, body: Record<string, unknown>, id = `msg-${++this.n}-${randomUUID()}`): string {
    const room = topic === undefined ? undefined : this.rooms.get(topic);
    if (topic !== undefined && !room) throw new Error(`no group ${topic}`);
    const payload: any = { id, talkerId: from, timestamp: Date.now(), ...body };
    if (room) Object.assign(payload, { roomId: room.id, mentionIdList: [] });
    else payload.listenerId = BOT.id;
    this.mocker.MessageMock.create(payload);
    this.puppet.emit("message", { messageId: id });
    return id;
  }
}
