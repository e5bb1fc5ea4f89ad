// SPEC §7, each guarantee with a test that fails when it breaks.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { App } from "../src/app.ts";
import { createLogger, type Logger } from "../src/core/log.ts";
import type { Target } from "../src/core/ports.ts";
import { fakeChannel } from "./fake-channel.ts";
import { openDatabase } from "../src/db/client.ts";
import { EVIDENCE_PNG, EXAMPLE_CONFIG, ROOT, bot, daytimeClock, example } from "./helpers.ts";

const G = "东村工作群";

/** An App on `<dir>/d.db` (system clock) whose transport is `sendText`; files are dropped. */
function openApp(dir: string, sendText: (t: Target, text: string, mentions: string[]) => Promise<void>, o: { maxBytes?: number; log?: Logger } = {}) {
  return App.open({
    cfg: example(),
    databaseUrl: "file:" + path.join(dir, "d.db"),
    clock: daytimeClock(),
    channels: [fakeChannel(sendText, { maxBytes: o.maxBytes ?? 2000, perTarget: 100 })],
    log: o.log ?? createLogger("silent"),
    evidenceDir: dir,
  });
}

describe("the same message delivered twice is handled once", () => {
  it("a command", async () => {
    const b = await bot();
    const first = await b.say("zhangsan", "/上报 公开栏未更新", G, "wx-msg-1");
    const again = await b.say("zhangsan", "/上报 公开栏未更新", G, "wx-msg-1");
    expect(first.length).toBe(3);
    expect(again).toEqual([]);
    expect(await b.db.item.count()).toBe(1);
    // a refusal is not repeated either
    await b.say("zhangsan", "/销号 #1", G, "wx-msg-2");
    expect(await b.say("zhangsan", "/销号 #1", G, "wx-msg-2")).toEqual([]);
    await b.close();
  });

  it("an evidence photo", async () => {
    const b = await bot();
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月20日");
    await b.say("zhangsan", "/整改 #1 已更新", G);
    await b.image("zhangsan", G, "wx-img-1");
    expect(await b.image("zhangsan", G, "wx-img-1")).toEqual([]);
    expect(await b.db.evidence.count()).toBe(1);
    await b.close();
  });

  it("after a restart (the key is in the database, not in memory)", async () => {
    const b = await bot();
    await b.say("zhangsan", "/上报 公开栏未更新", G, "wx-msg-9");
    await b.sim.stop();
    await b.sim.start();
    expect(await b.say("zhangsan", "/上报 公开栏未更新", G, "wx-msg-9")).toEqual([]);
    expect(await b.db.item.count()).toBe(1);
    await b.close();
  });
});

describe("a command is acknowledged only after it is committed", () => {
  it("a failing transaction leaves no item and no event; the sender is told nothing was done; the replayed message then succeeds once", async () => {
    let fail = true;
    const b = await bot({
      beforeCommit: async () => {
        if (fail) throw new Error("disk full");
      },
    });
    const before = b.out.length; // (the Monday digest went out when the bot started)
    await expect(b.say("zhangsan", "/上报 公开栏未更新", G, "wx-1")).rejects.toThrow("disk full");
    expect(b.out.slice(before)).toEqual([expect.objectContaining({ room: G, mentions: ["zhangsan"], text: expect.stringMatching(/^系统处理这条命令时出错，本条没有办理/) })]);
    expect(await b.db.item.count()).toBe(0);
    expect(await b.db.event.count()).toBe(0);
    expect(await b.db.outbox.count({ where: { dispatchKey: null, NOT: { text: { startsWith: "系统处理" } } } })).toBe(0);
    expect(await b.db.processedMessage.count()).toBe(0);
    fail = false;
    const got = await b.say("zhangsan", "/上报 公开栏未更新", G, "wx-1");
    expect(got[0].text).toMatch(/^已登记 #1/);
    expect(await b.db.item.count()).toBe(1);
    await b.close();
  });

  it("killing the process at any moment loses no acknowledged item and leaves no half item", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-crash-"));
    const db = path.join(dir, "duban.db");
    const acked = new Set<number>();
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "test/fixtures/crash-child.ts"), db, EXAMPLE_CONFIG], { stdio: ["ignore", "pipe", "inherit"] });
      const target = acked.size + 20 + round * 7;
      await new Promise<void>((resolve) => {
        let buf = "";
        child.stdout.on("data", (d) => {
          buf += d;
          for (const m of buf.matchAll(/ACK (\d+)\n/g)) acked.add(Number(m[1]));
          buf = buf.slice(buf.lastIndexOf("\n") + 1);
          if (acked.size >= target) child.kill("SIGKILL");
        });
        child.on("exit", () => resolve());
      });
    }
    expect(acked.size).toBeGreaterThanOrEqual(60);
    const raw = new Database(db, { readonly: true });
    const items = raw.prepare(`SELECT i.no, i.title, (SELECT COUNT(*) FROM Event e WHERE e.itemId = i.id AND e.kind = '上报') AS created FROM Item i`).all() as { no: number; title: string; created: number }[];
    const byNo = new Map(items.map((i) => [i.no, i]));
    for (const no of acked) expect(byNo.get(no), `acknowledged #${no} is missing`).toBeDefined();
    expect(items.every((i) => i.created === 1)).toBe(true); // no half item: every item has its creation event
    expect(new Set(items.map((i) => i.title)).size).toBe(items.length); // no message made two items
    const keys = raw.prepare("SELECT COUNT(*) AS n FROM ProcessedMessage").get() as { n: number };
    expect(keys.n).toBe(items.length);
    raw.close();
  }, 120_000);
});

describe("one database connection, shared", () => {
  // the sender and the scheduler run beside command transactions on the same SQLite connection
  it("a statement outside a transaction never joins another's open transaction", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-conn-"));
    const { db } = await openDatabase("file:" + path.join(dir, "d.db"));
    const row = (text: string) => ({ targetKind: "contact", targetId: "zhangsan", text, status: "pending", notBefore: new Date(0), createdAt: new Date() });
    const first = await db.outbox.create({ data: row("已登记 #1") });
    let entered!: () => void;
    let finish!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (finish = r));
    // a command's transaction: queues a reply, then is refused and rolls back
    const command = db
      .$transaction(async (tx) => {
        await tx.outbox.create({ data: row("未提交的回复") });
        entered();
        await gate;
        throw new Error("refused");
      })
      .catch(() => "rolled back");
    await inside;
    // meanwhile the sender claims the first row and looks for what is due (then(): Prisma runs a query
    // only once it is awaited)
    const claim = db.outbox.updateMany({ where: { id: first.id, status: "pending" }, data: { status: "sending" } }).then((r) => r);
    const due = db.outbox.findMany({ where: { status: "pending" } }).then((r) => r);
    await new Promise((r) => setTimeout(r, 50));
    finish();
    expect(await command).toBe("rolled back");
    expect((await claim).count).toBe(1);
    expect(await due).toEqual([]); // the uncommitted reply was never visible, let alone sent
    expect((await db.outbox.findUniqueOrThrow({ where: { id: first.id } })).status).toBe("sending"); // the claim survived the rollback
    expect(await db.outbox.count()).toBe(1);
    await db.$disconnect();
  });

  /** A client on `file` as openDatabase makes it, with a short busy timeout (the real one is 10 s). */
  async function client(file: string) {
    const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3");
    const { PrismaClient } = await import("../src/generated/prisma/client.ts");
    const { applyMigrations } = await import("../src/db/engine.ts");
    const { tunedFactory } = await import("../src/db/sqlite-tuning.ts");
    await applyMigrations(file);
    const db = new PrismaClient({ adapter: tunedFactory(new PrismaBetterSqlite3({ url: file, timeout: 100 })) });
    await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    return db;
  }
  const within = <T,>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<"hung">((r) => setTimeout(() => r("hung"), ms))]);

  it("a transaction that could not begin (another process held the write lock) leaves the connection usable", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "duban-busy-")), "d.db");
    const db = await client(file);
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE"); // a second instance in the middle of a long write
    await expect(db.$transaction((tx) => tx.processedMessage.count(), { maxWait: 20_000 })).rejects.toThrow();
    other.exec("COMMIT");
    other.close();
    expect(await within(db.$transaction((tx) => tx.processedMessage.create({ data: { key: "k", at: new Date() } })), 5_000)).not.toBe("hung");
    expect(await within(db.processedMessage.count(), 5_000)).toBe(1);
    await db.$disconnect();
  });

  it("a transaction that waits for another process's write lock goes ahead once it is released", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "duban-busy-")), "d.db");
    const db = await client(file);
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    setTimeout(() => {
      other.exec("COMMIT");
      other.close();
    }, 400);
    await db.$transaction((tx) => tx.processedMessage.create({ data: { key: "k", at: new Date() } }));
    expect(await db.processedMessage.count()).toBe(1);
    await db.$disconnect();
  });

  it("a failed COMMIT is rolled back: what runs next is not caught in it, and is saved", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "duban-commit-")), "d.db");
    const db = await client(file);
    // a foreign key checked at COMMIT: the COMMIT fails and SQLite keeps the transaction open
    await expect(
      db.$transaction(async (tx) => {
        await tx.$executeRawUnsafe("PRAGMA defer_foreign_keys = ON");
        await tx.$executeRawUnsafe(`INSERT INTO "Evidence" ("itemId", "eventId", "path", "fromId", "at") VALUES (999, 999, 'x', 'y', 0)`);
      }),
    ).rejects.toThrow();
    await db.processedMessage.create({ data: { key: "after", at: new Date() } });
    expect(await within(db.$transaction((tx) => tx.processedMessage.count()), 5_000)).toBe(1);
    const other = new Database(file, { readonly: true });
    expect((other.prepare(`SELECT COUNT(*) AS n FROM "ProcessedMessage"`).get() as { n: number }).n).toBe(1);
    expect((other.prepare(`SELECT COUNT(*) AS n FROM "Evidence"`).get() as { n: number }).n).toBe(0);
    other.close();
    await db.$disconnect();
  });
});

describe("nothing typed is dropped because the database was busy", () => {
  const open = (dir: string, sent: string[]) =>
    openApp(dir, async (_t, text) => {
      sent.push(text);
    });
  const msg = (id: string, from: string, text: string, room?: boolean) => ({
    id,
    chat: room ? { kind: "room" as const, id: "r-dongcun", topic: "东村工作群" } : { kind: "private" as const },
    senderId: from,
    senderName: from,
    text,
    mentioned: [],
  });

  it("a command waits for a long transaction (a scheduled job) instead of failing after 2 s", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-busy-"));
    const sent: string[] = [];
    const app = await open(dir, sent);
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const job = app.db.$transaction(
      async (tx) => {
        await tx.jobRun.create({ data: { job: "test", period: "x", at: new Date() } });
        started();
        await new Promise((r) => setTimeout(r, 3_000));
      },
      { timeout: 10_000 },
    );
    await running;
    expect(await app.handle(msg("m1", "zhangsan", "/上报 村务公开栏三个月未更新"))).toBe("handled");
    await job;
    expect(await app.db.item.count()).toBe(1);
    expect(sent.some((t) => t.startsWith("已登记 #1"))).toBe(true);
    await app.close();
  });

  it("a photo is downloaded outside any transaction (a slow download holds nothing up)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-photo-"));
    const sent: string[] = [];
    const app = await open(dir, sent);
    await app.handle(msg("m1", "ban1", "/上报 公开栏未更新 @东村 @张三 截止:10个工作日"));
    await app.handle(msg("m2", "zhangsan", "/整改 #1 已更新公开栏", true));
    let databaseFree: boolean | undefined;
    const photo = {
      ...msg("m3", "zhangsan", "", true),
      text: undefined,
      image: {
        async save(base: string) {
          // inside a transaction this statement would wait for it to end, i.e. for this download
          databaseFree = await Promise.race([app.db.$queryRawUnsafe("SELECT 1").then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1_000))]);
          copyFileSync(EVIDENCE_PNG, base + ".png");
          return base + ".png";
        },
      },
    };
    expect(await app.handle(photo)).toBe("handled");
    expect(databaseFree).toBe(true);
    const ev = await app.db.evidence.findFirstOrThrow();
    expect(readFileSync(ev.path)).toEqual(readFileSync(EVIDENCE_PNG));
    expect(sent).toContain("已收到 #1 的整改佐证照片（第 1 张）");
    expect(await app.handle(photo)).toBe("duplicate");
    expect(await app.db.evidence.count()).toBe(1);
    // a download that breaks off leaves no half file, and nothing is recorded
    const broken = { ...photo, id: "m4", image: { async save(base: string) { writeFileSync(base + ".jpg", "half"); throw new Error("连接中断"); } } };
    await expect(app.handle(broken)).rejects.toThrow("连接中断");
    expect(sent.at(-1)).toBe("这张照片没有接收成功，请在 10 分钟内重新发送（#1 的整改佐证）。");
    expect(readdirSync(path.join(dir, ".incoming"))).toEqual([]);
    expect(await app.db.evidence.count()).toBe(1);
    await app.close();
  });
});

describe("the anonymous reporter's identity", () => {
  it("is refused in a group, with a hint sent privately (nothing in the group), and nothing is stored", async () => {
    const b = await bot();
    const got = await b.say("xiaomei", "/匿名上报 村主任优亲厚友", "西村工作群");
    expect(got).toEqual([expect.objectContaining({ to: "xiaomei", text: "/匿名上报 只能私聊机器人使用，请私聊我发送，群里不会留下你的信息" })]);
    expect(b.out.filter((o) => o.room === "西村工作群")).toEqual([]);
    expect(await b.db.item.count()).toBe(0);
    expect(await b.db.outbox.count({ where: { OR: [{ targetId: "xiaomei" }, { sealed: true }] } })).toBe(0);
    await b.close();
  });

  it("a refused anonymous report leaves no row behind either (no trail just before the corrected one)", async () => {
    const b = await bot();
    expect(await b.ask("xiaomei", "/匿名上报 村主任优亲厚友 #不存在的类别")).toMatch(/^用法：\/匿名上报/);
    expect(await b.db.outbox.count({ where: { targetId: "xiaomei" } })).toBe(0);
    expect(await b.db.item.count()).toBe(0);
    await b.close();
  });

  it("appears only in the one private reply; no row, log line or other message links them to the item", async () => {
    const logs: string[] = [];
    const b = await bot({ log: createLogger("debug", (l) => logs.push(l)), store: "sqlite" }); // (PostgreSQL: test/anonymity-pg.test.ts)
    const got = await b.say("xiaomei", "/匿名上报 村主任在低保评定中优亲厚友 #懒政怠政");
    const mine = got.filter((o) => o.to === "xiaomei");
    expect(mine).toEqual([expect.objectContaining({ text: expect.stringMatching(/^已匿名登记 #1：/) })]);
    // once sent, the reply is in neither the database file nor its WAL (while the bot runs on)
    for (const f of [b.sim.databaseFile, b.sim.databaseFile + "-wal"]) {
      if (existsSync(f)) expect(readFileSync(f).includes(Buffer.from("已匿名登记")), f).toBe(false);
    }
    // the office is told, without the source
    const others = got.filter((o) => o.to !== "xiaomei");
    expect(others.length).toBe(2);
    // the item is handled as usual, all the way to 销号
    await b.say("ban1", "/交办 #1 @西村 @陈七 截止:3月20日");
    await b.say("chenqi", "/整改 #1 已重新评定", "西村工作群");
    await b.say("ban1", "/销号 #1");
    const query = await b.ask("ban1", "/查询 #1");
    expect(query).toContain("来源：匿名");
    for (const o of b.out.filter((x) => x !== mine[0])) expect(JSON.stringify(o)).not.toMatch(/xiaomei|小梅/);
    expect(logs.join("\n")).not.toMatch(/xiaomei|小梅/);

    // every row of every table: none holds both the reporter and the item
    const file = b.sim.databaseFile;
    await b.sim.stop();
    const raw = new Database(file, { readonly: true });
    const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((t) => t.name);
    const item = raw.prepare("SELECT id, title FROM Item WHERE no = 1").get() as { id: number; title: string };
    for (const t of tables) {
      for (const row of raw.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]) {
        const s = JSON.stringify(row);
        if (/xiaomei|小梅/.test(s)) {
          expect(t, `${t} links the reporter to the item: ${s}`).toBe("Member");
        }
      }
    }
    const ev = raw.prepare("SELECT actorId, chatId, messageKey FROM Event WHERE itemId = ? AND kind = '匿名上报'").get(item.id);
    expect(ev).toEqual({ actorId: null, chatId: null, messageKey: null });
    raw.close();
    // and the file itself keeps no deleted copy of the reply (secure_delete)
    expect(readFileSync(file).includes(Buffer.from("已匿名登记"))).toBe(false);
    await b.close();
  });

  it("leaves no row behind even when the private reply fails or may have been delivered", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-anon-"));
    const { DefiniteSendFailure } = await import("../src/core/sender.ts");
    let fail: "unknown" | "definite" = "unknown";
    const logs: string[] = [];
    const app = await openApp(
      dir,
      async (t) => {
        // as Wechaty's transport says it: the error names the contact
        if (t.id === "xiaomei") throw fail === "definite" ? new DefiniteSendFailure(`联系人 ${t.id} 不存在`) : new Error(`socket hang up (${t.id})`);
      },
      { log: createLogger("debug", (l) => logs.push(l)) },
    );
    const msg = (id: string) => ({ id, chat: { kind: "private" as const }, senderId: "xiaomei", senderName: "小梅", text: "/匿名上报 村主任优亲厚友", mentioned: [] });
    await app.handle(msg("a")); // unknown failure: may have been delivered
    expect(await app.db.outbox.count({ where: { targetId: "xiaomei" } })).toBe(0);
    fail = "definite";
    await app.handle(msg("b"));
    for (let i = 0; i < 6; i++) {
      await app.db.outbox.updateMany({ where: { status: "pending" }, data: { notBefore: new Date(0) } });
      await app.tick();
    }
    expect(await app.db.outbox.count({ where: { targetId: "xiaomei" } })).toBe(0);
    expect(logs.some((l) => l.includes("outbox.send_failed"))).toBe(true);
    expect(logs.join("\n")).not.toMatch(/xiaomei|小梅/);
    // a crash while sending it: restart removes the row instead of keeping it as "uncertain"
    await app.db.outbox.create({ data: { targetKind: "contact", targetId: "xiaomei", text: "已匿名登记 #3", ephemeral: true, status: "sending", notBefore: new Date(0), createdAt: new Date() } });
    await app.close();
    const again = await openApp(dir, async () => {});
    expect(await again.db.outbox.count({ where: { targetId: "xiaomei" } })).toBe(0);
    await again.close();
  });
});

describe("separation of duties", () => {
  it("the submitter of a rectification can never close it, whatever their roles", async () => {
    const cfg = example();
    cfg.members.find((m) => m.id === "wangwu")!.roles = ["负责人", "督办员"];
    const b = await bot({ cfg });
    await b.say("ban1", "/上报 公开栏未更新 @东村 截止:3月20日");
    await b.say("wangwu", "/整改 #1 已更新", G);
    expect(await b.ask("wangwu", "/销号 #1", G)).toBe("你是 #1 整改的提交人，不能自己销号，请由其他督办员或领导验收");
    expect((await b.db.item.findFirstOrThrow()).status).toBe("待验收");
    expect(await b.ask("shuji", "/验收 #1")).toMatch(/^#1 已验收销号/);
    await b.close();
  });
});

describe("sending respects each transport's limits", () => {
  it("long text is split on line boundaries under the byte limit", async () => {
    const b = await bot();
    for (let i = 1; i <= 40; i++) await b.say("ban1", `/上报 第${i}个问题：某村公开栏长期未更新且群众反映强烈需要尽快整改 @东村 @张三 截止:3月31日`);
    await b.at("2026-03-02T09:10:00+08:00"); // let the 40 交办 notices to the group drain first
    const sent = await b.say("zhangsan", "/我的", G);
    expect(sent.length).toBeGreaterThan(1);
    for (const s of sent) expect(Buffer.byteLength(s.text!)).toBeLessThanOrEqual(2000);
    expect(sent[0].mentions).toEqual(["zhangsan"]);
    expect(sent.slice(1).every((s) => s.mentions!.length === 0)).toBe(true);
    const whole = sent.map((s) => s.text).join("\n");
    expect(whole.split("\n").length).toBe(1 + 30 + 1);
    await b.close();
  });

  it("a per-target rate limit queues instead of dropping", async () => {
    const b = await bot();
    for (let i = 1; i <= 25; i++) await b.say("zhangsan", `/上报 问题${i}`, G);
    // 25 acks to the group, each also told privately to two 督办员: only 20 per minute per target go out now
    const toGroup = () => b.out.filter((o) => o.room === G);
    expect(toGroup().length).toBe(20);
    expect(await b.db.outbox.count({ where: { status: "pending" } })).toBe(15);
    await b.at("2026-03-02T09:05:00+08:00");
    expect(toGroup().length).toBe(25);
    expect(toGroup().slice(20).every((o) => o.at === "2026-03-02T09:01:00+08:00")).toBe(true);
    expect(toGroup().map((o) => o.text!.match(/#(\d+)/)![1]).map(Number)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await b.db.outbox.count({ where: { status: { not: "sent" } } })).toBe(0);
    await b.close();
  });

  it("the limits are configurable (sending: in duban.yaml)", async () => {
    const cfg = example();
    cfg.sending = { maxBytes: 300, perTargetPerMinute: 5 };
    const b = await bot({ cfg });
    for (let i = 1; i <= 8; i++) await b.say("zhangsan", `/上报 问题${i}`, G);
    expect(b.out.filter((o) => o.room === G).length).toBe(5);
    await b.at("2026-03-02T09:10:00+08:00"); // the queue to ban1 (office notices) drains first
    const help = await b.say("ban1", "/帮助");
    expect(help.length).toBeGreaterThan(1);
    for (const h of help) expect(Buffer.byteLength(h.text!)).toBeLessThanOrEqual(300);
    await b.close();
  });

  const say = (id: string, text: string) => ({ id, chat: { kind: "private" as const }, senderId: "zhangsan", senderName: "张三", text, mentioned: [] });

  it("stopping (SIGTERM) lets the message being handled finish and its answer go out; one arriving meanwhile is not taken", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-stop-"));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sent: string[] = [];
    const app = await openApp(dir, async (_t, text) => {
      if (text.startsWith("已登记")) await gate; // the answer is on its way when the stop comes
      sent.push(text);
    });
    const handling = app.handle(say("s1", "/上报 公开栏三个月未更新"));
    while (!(await app.db.outbox.count({ where: { status: "sending" } }))) await new Promise((r) => setTimeout(r, 5));
    const closing = app.close();
    await expect(app.handle(say("s2", "/上报 值班表未公示"))).rejects.toThrow(/stopping/);
    setTimeout(release, 200);
    await handling;
    await closing;
    expect(sent.filter((t) => t.startsWith("已登记 #1"))).toHaveLength(1);
    const again = await openApp(dir, async (_t, text) => void sent.push(text));
    expect(await again.db.item.count()).toBe(1);
    // nothing left "sending" (a lease to expire) or pending: the answer and the notices went before the stop
    expect((await again.db.outbox.findMany()).map((r) => r.status)).toEqual(expect.arrayContaining(["sent"]));
    expect(await again.db.outbox.count({ where: { status: { not: "sent" } } })).toBe(0);
    await again.close();
  });

  it("a long message whose later part fails is resumed there: no part goes out twice", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-parts-"));
    const { DefiniteSendFailure } = await import("../src/core/sender.ts");
    const parts: string[] = [];
    let failOnce = 2; // the second part fails, certainly not delivered
    const app = await openApp(
      dir,
      async (_t, text) => {
        if (parts.length + 1 === failOnce) {
          failOnce = 0;
          throw new DefiniteSendFailure("网络繁忙");
        }
        parts.push(text);
      },
      { maxBytes: 300 },
    );
    await app.handle(say("h", "/帮助"));
    expect(parts.length).toBe(1);
    await app.db.outbox.updateMany({ where: { status: "pending" }, data: { notBefore: new Date(0) } });
    await app.tick();
    expect(parts.length).toBeGreaterThan(2);
    expect(new Set(parts).size).toBe(parts.length);
    // all of it, in order, exactly once: the same parts as the same reply sent without a failure
    const n = parts.length;
    await app.handle(say("h2", "/帮助"));
    expect(parts.slice(0, n)).toEqual(parts.slice(n));
    await app.close();
  });

  it("every delivered message is recorded sent once; the one that failed unknowingly stays uncertain", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-send-"));
    const sent: string[] = [];
    let failAt = 3;
    const app = await openApp(dir, async (_t, text) => {
      if (sent.length + 1 === failAt) throw new Error("socket hang up");
      sent.push(text);
    });
    // a 干部's report: the reply and the two 督办员 notices, three rows
    await app.handle(say("m1", "/上报 村务公开栏三个月未更新"));
    const rows = await app.db.outbox.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => r.status)).toEqual(["sent", "sent", "uncertain"]);
    expect(rows.map((r) => r.attempts)).toEqual([1, 1, 1]);
    expect(rows.slice(0, 2).every((r) => r.sentAt)).toBe(true);
    expect(rows[2].sentAt).toBeNull();
    expect(sent.length).toBe(2);
    failAt = 0;
    await app.handle(say("m2", "/上报 便民服务中心窗口午休无人"));
    expect(await app.db.outbox.count({ where: { status: "sending" } })).toBe(0);
    expect(await app.db.outbox.count({ where: { status: "sent", sentAt: { not: null } } })).toBe(5);
    expect(sent.length).toBe(5);
    await app.close();
  });

  it("what may have been delivered is never resent; a definite failure is retried", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-send-"));
    const sent: string[] = [];
    let failNext: "definite" | "unknown" | null = null;
    const { DefiniteSendFailure } = await import("../src/core/sender.ts");
    const open = () =>
      openApp(dir, async (_t, text) => {
        const f = failNext;
        failNext = null;
        if (f === "definite") throw new DefiniteSendFailure("群不存在");
        if (f === "unknown") throw new Error("socket hang up");
        sent.push(text);
      });
    const app = await open();
    failNext = "unknown";
    await app.handle(say("a", "/我的"));
    expect(sent).toEqual([]);
    expect((await app.db.outbox.findFirstOrThrow()).status).toBe("uncertain");
    failNext = "definite";
    await app.handle(say("b", "/我的"));
    const row = await app.db.outbox.findFirstOrThrow({ where: { id: 2 } });
    expect(row.status).toBe("pending");
    await app.db.outbox.update({ where: { id: 2 }, data: { notBefore: new Date(0) } });
    await app.tick();
    expect(sent.length).toBe(1);
    // a crash while sending: the row stays "sending" — after restart it is uncertain, not resent
    await app.db.outbox.create({ data: { targetKind: "contact", targetId: "zhangsan", text: "x", status: "sending", notBefore: new Date(0), createdAt: new Date() } });
    await app.close();
    const again = await open();
    await again.tick();
    expect(sent.length).toBe(1);
    expect(await again.db.outbox.count({ where: { status: "uncertain" } })).toBe(2);
    await again.close();
  });
});

describe("the same message delivered twice is handled once — also across the upgrade that named the channels", () => {
  it("a Wechaty message claimed under the old key (<bot id>:<message id>) is a duplicate under the new one", async () => {
    const { claimKey } = await import("../src/core/pipeline.ts");
    const b = await bot();
    await b.db.processedMessage.create({ data: { key: claimKey("wxbot:old-msg-1"), at: new Date() } });
    const msg = (id: string) => ({ channel: "wechaty", account: "wxbot", id, chat: { kind: "private" as const }, senderId: "zhangsan", senderName: "张三", text: "/上报 公开栏未更新", mentioned: [] });
    expect(await b.sim.app!.handle(msg("old-msg-1"))).toBe("duplicate");
    expect(await b.db.item.count()).toBe(0);
    expect(await b.sim.app!.handle(msg("new-msg-2"))).toBe("handled");
    expect(await b.db.item.count()).toBe(1);
    await b.close();
  });
});
