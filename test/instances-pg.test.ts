// SPEC §7 across instances (issue 13): three Duban processes on one PostgreSQL database, each with its own
// bot account, fed the same and different messages and running the scheduled jobs at the same time —
// every item once, item numbers without gaps or collisions, every message (every dispatch key) sent once
// in total; and the same while instances are SIGKILLed in the middle of a circular and of a send: what a
// killed instance left is finished by the others, and what it may have sent ("uncertain") is never resent.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../src/db/client.ts";
import { EXAMPLE_CONFIG, ROOT } from "./helpers.ts";
import { createTestDatabase, pgAvailable, PG_SKIP_REASON } from "./pg.ts";

const available = await pgAvailable();
if (!available) console.warn(`[instances-pg] skipped: ${PG_SKIP_REASON}`);

type Sent = { to?: string; room?: string; text?: string; file?: string };

class Instance {
  readonly sent: Sent[] = [];
  private readonly proc: ChildProcess;
  private readonly acks: ((n: number) => void)[] = [];
  private lines = 0;
  private done = 0;
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(url: string, start: string, readonly account: string, dir: string, slowMs = 0) {
    this.proc = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "test/fixtures/instance-child.ts"), url, path.join(dir, "duban.yaml"), start, account, path.join(dir, account), String(slowMs)], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.exited = new Promise((r) => this.proc.on("exit", (code, signal) => r({ code, signal })));
    let ready!: () => void;
    this.ready = new Promise((r) => (ready = r));
    readline.createInterface({ input: this.proc.stdout! }).on("line", (l) => {
      const m = JSON.parse(l);
      if (m.sent) this.sent.push(m.sent);
      else if (m.ready) ready();
      else if (m.ok) {
        this.done = m.ok;
        for (const f of this.acks.splice(0)) f(m.ok);
      }
    });
  }

  /** Send a command line; resolves when the instance has done it (or has died). */
  private send(c: object): Promise<void> {
    const n = ++this.lines;
    this.proc.stdin!.write(JSON.stringify(c) + "\n");
    return new Promise<void>((resolve) => {
      const wait = () => (this.done >= n ? resolve() : this.acks.push(wait));
      wait();
      void this.exited.then(() => resolve());
    });
  }
  say(id: string, from: string, text: string, o: { room?: string; account?: string } = {}) {
    return this.send({ say: { id, from, text, ...o } });
  }
  at(iso: string) {
    return this.send({ at: iso });
  }
  async exit() {
    await this.send({ exit: true });
    return this.exited;
  }
  kill() {
    this.proc.kill("SIGKILL");
    return this.exited;
  }
}

/** "room:<topic>|text" or "to:<id>|text" (or the file's name) */
const keyOf = (s: Sent) => `${s.room ? `room:${s.room}` : `to:${s.to}`}|${s.text ?? s.file}`;

/** What the outbox says went out (sent) or may have (uncertain), in the same form as what was delivered. */
async function outboxKeys(db: Db) {
  const topics = new Map((await db.room.findMany()).map((r) => [r.id, r.topic]));
  const rows = await db.outbox.findMany({ orderBy: { id: "asc" } });
  const key = (r: (typeof rows)[number]) => `${r.targetKind === "room" ? `room:${topics.get(r.targetId)}` : `to:${r.targetId}`}|${r.text ?? path.basename(r.filePath ?? "")}`;
  const count = (status: string) => {
    const m = new Map<string, number>();
    for (const r of rows.filter((x) => x.status === status)) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
    return m;
  };
  return { rows, sent: count("sent"), uncertain: count("uncertain") };
}

function tally(sent: Sent[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of sent) m.set(keyOf(s), (m.get(keyOf(s)) ?? 0) + 1);
  return m;
}

describe.skipIf(!available)("three instances on one PostgreSQL database", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "duban-instances-"));
    // the sample township, its circular published by the job itself (no review): the job all three run
    const yaml = readFileSync(EXAMPLE_CONFIG, "utf8");
    const schedule = 'schedule: { weeklyDigest: "30 8 * * 1", monthlyCircularWorkday: 3 }';
    expect(yaml).toContain(schedule);
    writeFileSync(path.join(dir, "duban.yaml"), yaml.replace(schedule, 'schedule: { weeklyDigest: "30 8 * * 1", monthlyCircularWorkday: 3, circularReview: false }'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the same and different messages, and the jobs run by all three at once: every item once, numbers 1..N, every message sent once", async () => {
    const pg = await createTestDatabase();
    const start = "2026-03-02T09:00:00+08:00";
    // (the first start applies the migrations; the others find them applied)
    const a = new Instance(pg.url, start, "bot-a", dir);
    await a.ready;
    const [b, c] = [new Instance(pg.url, start, "bot-b", dir), new Instance(pg.url, start, "bot-c", dir)];
    await Promise.all([b.ready, c.ready]);
    const all = [a, b, c];
    const units = ["东村", "西村", "南山村", "河坝社区"];
    // 30 different reports, ten to each instance, and 15 the same message delivered to all three
    // (one account's message that reached every instance), all at once
    const work: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) work.push(all[i % 3].say(`diff-${i}`, "ban1", `/上报 问题${i} 公开栏未更新 @${units[i % 4]} 截止:3月${4 + (i % 10)}日`));
    for (let j = 0; j < 15; j++) for (const x of all) work.push(x.say(`same-${j}`, "ban1", `/上报 重复${j} 值班表未公示 @${units[j % 4]} 截止:3月${5 + (j % 8)}日`, { account: "bot-a" }));
    await Promise.all(work);

    const { db, read } = await openDatabase(pg.url);
    try {
      const items = await db.item.findMany({ orderBy: { no: "asc" } });
      expect(items).toHaveLength(45);
      expect(items.map((i) => i.no)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
      expect(new Set(items.map((i) => i.title)).size).toBe(45);
      // each acknowledgement once, by one instance
      const acks = [...a.sent, ...b.sent, ...c.sent].filter((s) => s.to === "ban1" && /^已登记(并交办)? #\d+/.test(s.text ?? "")).map((s) => Number(/#(\d+)/.exec(s.text!)![1]));
      expect(acks.sort((x, y) => x - y)).toEqual(items.map((i) => i.no));
      // each instance answers through its own bot account: a report that came in on bot-b is acknowledged
      // by bot-b's instance, though all three drain the one outbox (the others leave it to its owner)
      const byTitle = new Map(items.map((i) => [i.no, i.title]));
      for (const [k, x] of all.entries())
        for (const s of x.sent.filter((m) => m.to === "ban1" && /^已登记(并交办)? #\d+/.test(m.text ?? ""))) {
          const title = byTitle.get(Number(/#(\d+)/.exec(s.text!)![1]))!;
          const i = /^问题(\d+) /.exec(title);
          expect(i ? Number(i[1]) % 3 : 0, `${x.account}: ${title}`).toBe(i ? k : 0);
        }

      // the whole month of reminders, digests, phase notices and the circular, run by all three at once
      await Promise.all(all.map((x) => x.at("2026-04-06T12:00:00+08:00")));
      const { rows, sent, uncertain } = await outboxKeys(db);
      expect(rows.filter((r) => r.status !== "sent").map((r) => `${r.id} ${r.status} ${r.dispatchKey}`)).toEqual([]);
      expect(uncertain.size).toBe(0);
      expect(rows.filter((r) => r.dispatchKey).length).toBeGreaterThan(100);
      // what was delivered, over all three, is exactly what the outbox says was sent: nothing twice
      expect(tally([...a.sent, ...b.sent, ...c.sent])).toEqual(sent);
      // each instance did part of the work
      for (const x of all) expect(x.sent.length, x.account).toBeGreaterThan(0);
      expect(await db.circular.count({ where: { month: "2026-03" } })).toBe(1);
      const runs = await db.jobRun.findMany();
      expect(new Set(runs.map((r) => `${r.job}:${r.period}`)).size).toBe(runs.length);
    } finally {
      await Promise.all([a.exit(), b.exit(), c.exit()]);
      await read.$disconnect();
      await db.$disconnect();
      await pg.drop();
    }
  }, 180_000);

  it("one instance SIGKILLed in the middle of a circular, another in the middle of a send: the rest is finished once, nothing uncertain resent", async () => {
    const pg = await createTestDatabase();
    const start = "2026-03-02T09:00:00+08:00";
    const a = new Instance(pg.url, start, "bot-a", dir, 20);
    await a.ready;
    const [b, c] = [new Instance(pg.url, start, "bot-b", dir, 20), new Instance(pg.url, start, "bot-c", dir, 20)];
    await Promise.all([b.ready, c.ready]);
    const units = ["东村", "西村", "南山村", "河坝社区", "镇财政所", "镇便民服务中心"];
    for (let i = 0; i < 24; i++) await [a, b, c][i % 3].say(`r-${i}`, "ban1", `/上报 问题${i} 台账未建立 @${units[i % 6]} 截止:3月${4 + (i % 20)}日`);
    // to just before the circular (the third workday of April, 10:00), all three
    await Promise.all([a, b, c].map((x) => x.at("2026-04-03T09:59:00+08:00")));
    const before = [a.sent.length, b.sent.length, c.sent.length];
    // all three run the circular's morning at once; b is killed while the jobs are being written, a once
    // it is in the middle of sending (every send takes 20 ms)
    const runs = [a, b, c].map((x) => x.at("2026-04-03T12:00:00+08:00"));
    await new Promise((r) => setTimeout(r, 150));
    const killedB = b.kill();
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (a.sent.length >= before[0] + 5) {
          clearInterval(t);
          resolve();
        }
      }, 2);
    });
    const killedA = a.kill();
    expect((await killedA).signal).toBe("SIGKILL");
    expect((await killedB).signal).toBe("SIGKILL");
    await runs[2];
    // the survivor, past the killed ones' leases: what they had claimed is now uncertain, the rest sent
    await c.at("2026-04-03T12:10:00+08:00");

    const { db, read } = await openDatabase(pg.url);
    try {
      const { rows, sent, uncertain } = await outboxKeys(db);
      expect(rows.filter((r) => !["sent", "uncertain"].includes(r.status)).map((r) => `${r.id} ${r.status} ${r.dispatchKey}`)).toEqual([]);
      // at most the one row each killed instance was sending
      expect(rows.filter((r) => r.status === "uncertain").length).toBeLessThanOrEqual(2);
      const delivered = tally([...a.sent, ...b.sent, ...c.sent]);
      for (const [k, n] of sent) expect(delivered.get(k) ?? 0, k).toBeGreaterThanOrEqual(n);
      for (const [k, n] of delivered) expect(n, k).toBeLessThanOrEqual((sent.get(k) ?? 0) + (uncertain.get(k) ?? 0));
      // one circular for March, published once; its texts reached the circular group once
      expect(await db.circular.count({ where: { month: "2026-03" } })).toBe(1);
      const circularTexts = [...delivered].filter(([k]) => k.startsWith("room:作风整顿工作群|") && k.includes("通报"));
      expect(circularTexts.length).toBeGreaterThan(0);
      for (const [k, n] of circularTexts) expect(n, k).toBe(1);
      expect(await db.item.count()).toBe(24);
      expect((await db.item.findMany({ orderBy: { no: "asc" } })).map((i) => i.no)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    } finally {
      await c.exit();
      await read.$disconnect();
      await db.$disconnect();
      await pg.drop();
    }
  }, 180_000);
});
