// SPEC §8 routing: several channels side by side through one outbox. The sender sends a row back the
// way it came when that channel reaches the chat, else by the first configured channel that reaches it
// (and carries its file); limits and rate windows are the chosen channel's; a row no channel reaches is
// marked failed with the reason and reported to the 督办员 once a day per chat, never about itself.
// (Sender level, with fake channels; the end-to-end test with the aibot and 自建应用 fakes is still to come.)
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/log.ts";
import { insertOutgoing, type Outgoing } from "../../src/core/outbox.ts";
import type { Channel, Delivery } from "../../src/core/ports.ts";
import { Sender } from "../../src/core/sender.ts";
import { openDatabase, type Db } from "../../src/db/client.ts";

type Sent = Delivery & { by: string };

function fake(name: string, sent: Sent[], o: { rooms?: boolean; contacts?: boolean; files?: boolean; maxBytes?: number; perTarget?: number; account?: string }): Channel {
  return {
    name,
    limits: { maxBytes: o.maxBytes ?? 2000, perTarget: o.perTarget ?? 100, windowMs: 60_000, files: o.files ?? false },
    account: () => o.account ?? "bot",
    start: async () => {},
    stop: async () => {},
    canReach: (d) => (d.target.kind === "room" ? !!o.rooms : !!o.contacts) && (!d.file || !!o.files),
    send: async (d) => {
      sent.push({ ...d, by: name });
    },
  };
}

async function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-routing-"));
  const { db } = await openDatabase("file:" + path.join(dir, "d.db"));
  const clock = new VirtualClock(new Date("2026-03-02T10:00:00+08:00"));
  const queue = (rows: Outgoing[]) => db.$transaction((tx) => insertOutgoing(tx, rows, clock.now()));
  return { db, clock, queue };
}

const close = (db: Db) => db.$disconnect();

describe("routing between channels", () => {
  it("an answer goes back the way it came; a scheduled row by the first channel that reaches it; a file by one that carries files", async () => {
    const { db, clock, queue } = await setup();
    const sent: Sent[] = [];
    const aibot = fake("wecom-aibot", sent, { rooms: true, contacts: true });
    const app = fake("wecom-app", sent, { contacts: true, files: true });
    const hook = fake("wecom-webhook", sent, { rooms: true, files: true });
    const sender = new Sender(db, [app, aibot, hook], clock, silentLogger);
    await queue([
      { target: { kind: "room", id: "g1" }, text: "回复", mentions: ["u1"], direct: true, via: { channel: "wecom-aibot", account: "bot", replyHandle: "req-1" } },
      { target: { kind: "contact", id: "leader" }, text: "提醒" },
      { target: { kind: "room", id: "g1" }, file: "/tmp/台账.xlsx" },
      { target: { kind: "contact", id: "u2" }, text: "私信回复", direct: true, via: { channel: "wecom-aibot", account: "bot" } },
    ]);
    await sender.idle();
    expect(sent.map((s) => [s.by, s.text ?? s.file, s.replyHandle])).toEqual([
      ["wecom-aibot", "回复", "req-1"],
      ["wecom-app", "提醒", undefined],
      ["wecom-webhook", "/tmp/台账.xlsx", undefined],
      ["wecom-aibot", "私信回复", undefined],
    ]);
    expect(await db.outbox.count({ where: { status: { not: "sent" } } })).toBe(0);
    await close(db);
  });

  it("the chosen channel's byte limit splits the text; its rate window is its own", async () => {
    const { db, clock, queue } = await setup();
    const sent: Sent[] = [];
    const small = fake("small", sent, { contacts: true, maxBytes: 30, perTarget: 1 });
    const big = fake("big", sent, { rooms: true, contacts: true, perTarget: 1 });
    const sender = new Sender(db, [small, big], clock, silentLogger);
    await queue([
      { target: { kind: "contact", id: "u1" }, text: "一二三四五六七八九十\n一二三四五六七八九十" },
      { target: { kind: "contact", id: "u1" }, text: "第二条" },
      { target: { kind: "room", id: "g1" }, text: "群一" },
      { target: { kind: "room", id: "g1" }, text: "群二" },
    ]);
    await sender.idle();
    // 60 bytes over a 30-byte channel: two parts (an empty window lets a long message go, alone); the
    // next message to u1 waits for the small channel's window; the room's window is big's own
    expect(sent.map((s) => [s.by, s.text])).toEqual([
      ["small", "一二三四五六七八九十"],
      ["small", "一二三四五六七八九十"],
      ["big", "群一"],
    ]);
    expect(await db.outbox.count({ where: { status: "pending" } })).toBe(2);
    clock.set(new Date(clock.now().getTime() + 61_000));
    await sender.idle();
    expect(sent.slice(3).map((s) => [s.by, s.text])).toEqual([
      ["small", "第二条"],
      ["big", "群二"],
    ]);
    await close(db);
  });

  it("a row no channel reaches is failed with the reason and reported to the 督办员 once a day per chat", async () => {
    const { db, clock, queue } = await setup();
    const sent: Sent[] = [];
    const app = fake("wecom-app", sent, { contacts: true });
    const sender = new Sender(db, [app], clock, silentLogger, { office: () => ["ban1", "ban2"] });
    await queue([
      { target: { kind: "room", id: "g9" }, text: "群通知一" },
      { target: { kind: "room", id: "g9" }, text: "群通知二" },
    ]);
    await sender.idle();
    const failed = await db.outbox.findMany({ where: { status: "failed" } });
    expect(failed.length).toBe(2);
    expect(failed[0].error).toMatch(/^没有能送达的通道：/);
    expect(failed[0].error).toContain("wecom-app");
    // one notice to each 督办员, not one per row
    expect(sent.map((s) => [s.by, s.target.id])).toEqual([
      ["wecom-app", "ban1"],
      ["wecom-app", "ban2"],
    ]);
    expect(sent[0].text).toContain("g9");
    // later the same day: no second notice; nothing left to retry
    await queue([{ target: { kind: "room", id: "g9" }, text: "群通知三" }]);
    await sender.idle();
    expect(sent.length).toBe(2);
    expect(await db.outbox.count({ where: { status: "pending" } })).toBe(0);
    await close(db);
  });

  it("a notice that cannot be delivered itself is failed, not reported again", async () => {
    const { db, clock, queue } = await setup();
    const sent: Sent[] = [];
    const hook = fake("wecom-webhook", sent, { rooms: true });
    const sender = new Sender(db, [hook], clock, silentLogger, { office: () => ["ban1"] });
    await queue([{ target: { kind: "contact", id: "leader" }, text: "提醒" }]);
    await sender.idle();
    expect(sent).toEqual([]);
    const rows = await db.outbox.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.targetId, r.status])).toEqual([
      ["leader", "failed"],
      ["ban1", "failed"],
    ]);
    await close(db);
  });
});

describe("a group with a 群机器人 that a chat channel is also in is one group", () => {
  it("one Room row (the chat channel's), before and after a restart: nothing goes to it twice", async () => {
    const { bot, example } = await import("../helpers.ts");
    const cfg = example();
    cfg.rooms = cfg.rooms.map((r) => (r.name === "作风整顿工作群" ? { ...r, webhook: "key-1" } : r));
    const b = await bot({ cfg });
    const rows = async () => (await b.db.room.findMany({ where: { topic: "作风整顿工作群" } })).map((r) => r.id);
    expect(await rows()).toHaveLength(1);
    expect((await rows())[0]).not.toMatch(/^webhook:/);
    await b.sim.stop();
    await b.sim.start();
    expect(await rows()).toHaveLength(1);
    await b.close();
  });
});
