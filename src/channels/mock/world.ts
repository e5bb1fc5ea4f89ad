// A township on the Wechaty mock puppet: the bot, the roster's contacts and the configured groups.
// Used by the replay harness, the console playground and the tests: messages enter exactly as a real
// puppet delivers them (a `message` event carrying a message id).
import { readFileSync } from "node:fs";
import path from "node:path";
import { FileBox } from "file-box";
import { WechatyBuilder, types, type Wechaty } from "wechaty";
import { mock, PuppetMock } from "wechaty-puppet-mock";
import type { Config } from "../../config/schema.ts";

export const BOT = { id: "duban-bot", name: "督办助手" };

export interface Said {
  id: string;
  from: string;
  room?: string;
  text?: string;
  /** path of an image file */
  image?: string;
  at: Date;
}

export class MockWorld {
  readonly mocker = new mock.Mocker();
  readonly bot: Wechaty;
  readonly self: any;
  private readonly contacts = new Map<string, any>();
  readonly rooms = new Map<string, any>();
  readonly topicOf = new Map<string, string>();

  constructor(private readonly cfg: Config) {
    this.bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker: this.mocker }) as any });
    this.self = this.mocker.createContact({ id: BOT.id, name: BOT.name });
    for (const m of cfg.members) this.contact(m.id, m.name);
    for (const t of new Set([...cfg.units.flatMap((u) => u.rooms), ...cfg.rooms.map((r) => r.name)])) this.room(t);
  }

  async start(): Promise<void> {
    await this.bot.start();
    this.mocker.login(this.self);
    if (!this.bot.isLoggedIn) await new Promise<void>((res) => this.bot.once("login", () => res()));
  }

  async stop(): Promise<void> {
    await this.bot.stop().catch(() => {});
  }

  contact(id: string, name = id): any {
    let c = this.contacts.get(id);
    if (!c) {
      c = this.mocker.createContact({ id, name });
      this.contacts.set(id, c);
    }
    return c;
  }

  /** The group with that topic, created on first use. */
  room(topic: string): any {
    let r = this.rooms.get(topic);
    if (!r) {
      r = this.mocker.createRoom({ id: `room${this.rooms.size + 1}@chatroom`, topic, memberIdList: [this.self.id] });
      this.rooms.set(topic, r);
      this.topicOf.set(r.id, topic);
    }
    return r;
  }

  roomList(): { id: string; topic: string }[] {
    return [...this.rooms].map(([topic, r]) => ({ id: r.id, topic }));
  }

  /** Deliver a message to the bot. The same id delivered again is the same message (a puppet replay). */
  deliver(s: Said): void {
    this.contact(s.from);
    let room: any;
    if (s.room) {
      room = this.room(s.room);
      const p = this.mocker.roomPayload(room.id);
      if (!p.memberIdList.includes(s.from)) this.mocker.roomPayload(room.id, { ...p, memberIdList: [...p.memberIdList, s.from] });
    }
    if (!this.mocker.cacheMessagePayload.has(s.id)) {
      const payload: any = { id: s.id, talkerId: s.from, timestamp: s.at.getTime(), type: types.Message.Text };
      if (s.image !== undefined) {
        const box = FileBox.fromBase64(readFileSync(s.image).toString("base64"), path.basename(s.image));
        this.mocker.cacheFileBoxPayload.set(s.id, box.toJSON() as any);
        payload.type = types.Message.Image;
      } else payload.text = s.text;
      if (room) {
        payload.roomId = room.id;
        payload.mentionIdList = this.mentionsIn(s.text ?? "");
      } else payload.listenerId = BOT.id;
      this.mocker.MessageMock.create(payload);
    }
    (this.mocker.puppet as any).emit("message", { messageId: s.id });
  }

  /** Real @-mentions: "@张三" in a group message names that member, as WeChat marks a picked mention. */
  private mentionsIn(text: string): string[] {
    return this.cfg.members.filter((m) => text.includes("@" + m.name) || text.includes("＠" + m.name)).map((m) => m.id);
  }
}
