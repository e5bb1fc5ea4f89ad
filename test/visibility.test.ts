// Who sees what (SPEC §1) as a matrix, like the permissions: every output kind (command replies, notices,
// the ledger file) × every role × a normal and an anonymous item, through the real pipeline. What each
// recipient may see is written out by hand from SPEC §1 — not derived from src/domain/visibility.ts.
import path from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.ts";
import { readFileSync } from "node:fs";
import { EXAMPLE_CONFIG, bot, type Out } from "./helpers.ts";

type Shown = "none" | "basic" | "unit" | "full";
const ORDER: Shown[] = ["none", "basic", "unit", "full"];
const le = (a: Shown, b: Shown) => ORDER.indexOf(a) <= ORDER.indexOf(b);

// #1 reported by 李四 (a 东村 cadre) by name; #2 reported anonymously (by 李四 too: nobody may learn it)
const N = { no: 1, title: "村务公开栏三个月未更新", measures: "立即更新村务公开栏", anon: false };
const A = { no: 2, title: "村主任在低保评定中优亲厚友", measures: "重新评定低保对象并张榜公示", anon: true };
type It = typeof N;
const REPORTER = "李四";

const ROLES = { 领导: "shuji", 督办员: "ban1", 负责人: "wangwu", 责任人: "zhangsan", 他单位干部: "xiaomei", 陌生人: "stranger", 上报人: "lisi" } as const;
type Role = keyof typeof ROLES;

// SPEC §1, by hand: what each person may see of each item (after /指派 made 张三 the assignee)
const PERSON: Record<string, { N: Shown; A: Shown }> = {
  shuji: { N: "full", A: "full" },
  ban1: { N: "full", A: "full" },
  ban2: { N: "full", A: "full" },
  wangwu: { N: "full", A: "unit" }, // 东村's 负责人: the anonymous item without the reporter's words
  zhangsan: { N: "full", A: "unit" }, // the assignee
  xiaomei: { N: "basic", A: "basic" }, // another unit's cadre: number, unit, status, deadline
  stranger: { N: "none", A: "none" }, // not registered: nothing
  lisi: { N: "full", A: "basic" }, // the reporter of #1; of #2 nobody knows it
};
const G = "东村工作群";
const OTHER = "西村工作群";
const FULL = "作风整顿工作群"; // configured `circular: full`
const ROOM: Record<string, { N: Shown; A: Shown }> = {
  [G]: { N: "full", A: "unit" }, // the item's unit's group: its unit view
  [OTHER]: { N: "basic", A: "basic" }, // another unit's group: never another unit's details
  [FULL]: { N: "full", A: "full" }, // leaders and office staff only
};

/** What a text shows of an item. */
function shown(text: string, it: It): Shown {
  if (text.includes(it.title)) return "full";
  if (it.anon && (text.includes("匿名反映问题") || text.includes(it.measures))) return "unit";
  if (!it.anon && text.includes(it.measures)) return "full";
  if (new RegExp(`#${it.no}(?!\\d)`).test(text)) return "basic";
  return "none";
}

const allowed = (o: Out, it: It): Shown => {
  const table = o.room ? ROOM[o.room] : PERSON[o.to!];
  if (!table) throw new Error(`no expectation for ${o.room ?? o.to}`);
  return it.anon ? table.A : table.N;
};

let b: Awaited<ReturnType<typeof bot>>;
let minute = 0;
/** ephemeral flags of the outbox rows each command wrote (read inside its transaction) */
const written: { text: string | null; ephemeral: boolean }[] = [];
let lastRow = 0;

async function textOf(o: Out): Promise<string> {
  if (o.text !== undefined) return o.text;
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path.join(b.sim.outDir, o.file!));
  const cells: string[] = [];
  wb.eachSheet((ws) => ws.eachRow((r) => cells.push(JSON.stringify(r.values))));
  return cells.join("\n");
}

/** Every message the bot sent shows each recipient no more than SPEC §1 allows; the reporter of #2 never. */
async function check(got: Out[], label: string): Promise<string[]> {
  const texts: string[] = [];
  for (const o of got) {
    const text = await textOf(o);
    texts.push(text);
    for (const it of [N, A]) expect(le(shown(text, it), allowed(o, it)), `${label}: ${o.room ?? o.to} got ${shown(text, it)} of #${it.no}: ${text}`).toBe(true);
    if (text.includes(REPORTER)) expect(allowed(o, N), `${label}: reporter named to ${o.room ?? o.to}`).toBe("full");
  }
  return texts;
}

/** One command, a minute after the last (the group's rate limit never holds a reply back). */
async function say(from: string, text: string, room?: string): Promise<Out[]> {
  await b.at(new Date(Date.parse("2026-03-06T09:00:00+08:00") + ++minute * 60_000).toISOString());
  return b.say(from, text, room);
}

/** What the asker got: in the group with their mention, or privately. */
const toAsker = (got: Out[], who: string, room?: string) => got.filter((o) => (room && o.room === room && o.mentions?.includes(who)) || o.to === who);

beforeAll(async () => {
  const cfg = parseConfig(readFileSync(EXAMPLE_CONFIG, "utf8").replace("{ name: 作风整顿工作群, circular: true }", "{ name: 作风整顿工作群, circular: full }"));
  b = await bot({
    cfg,
    beforeCommit: async (tx) => {
      const rows = await tx.$queryRaw<{ id: number | bigint; text: string | null; ephemeral: number | bigint | boolean }[]>`SELECT "id", "text", "ephemeral" FROM "Outbox" WHERE "id" > ${lastRow} ORDER BY "id"`;
      for (const r of rows) written.push({ text: r.text, ephemeral: r.ephemeral === true || Number(r.ephemeral) === 1 });
      if (rows.length) lastRow = Number(rows[rows.length - 1].id);
    },
  });
  // the history: reports, 交办 with measures, 指派 — every notice checked on the way
  await check(await b.say("lisi", `/上报 ${N.title} @东村`), "上报");
  const anon = await b.say("lisi", `/匿名上报 ${A.title}`);
  expect(anon.filter((o) => o.to === "lisi")).toHaveLength(1); // the one private reply to the reporter
  await check(anon.filter((o) => o.to !== "lisi"), "匿名上报");
  const n = await b.say("ban1", `/交办 #1 @东村 截止:3月4日 措施:${N.measures}`);
  expect(n.find((o) => o.room === G)?.text).toContain(N.title);
  await check(n, "交办 #1");
  const a = await b.say("ban1", `/交办 #2 @东村 截止:3月4日 措施:${A.measures}`);
  // the unit's group learns what to rectify, never the reporter's words
  const notice = a.find((o) => o.room === G)!.text!;
  expect(notice).toContain("匿名反映问题");
  expect(notice).toContain(A.measures);
  expect(notice).not.toContain(A.title);
  await check(a, "交办 #2");
  // 指派 in another unit's group: the notice goes privately to the assignee
  const p1 = await b.say("wangwu", "/指派 #1 @张三", OTHER);
  expect(p1.find((o) => o.to === "zhangsan")?.text).toContain(N.title);
  await check(p1, "指派 #1");
  const p2 = await b.say("wangwu", "/指派 #2 @张三", G);
  expect(p2.find((o) => o.room === G && o.text?.startsWith("【指派】"))?.text).toContain("匿名反映问题");
  await check(p2, "指派 #2");
});
afterAll(async () => {
  await b.close();
});

describe("who sees what: replies", () => {
  const chats: (string | undefined)[] = [undefined, G, OTHER, FULL];
  for (const role of Object.keys(ROLES) as Role[]) {
    const who = ROLES[role];
    for (const room of chats) {
      const where = room ?? "私聊";
      for (const item of [N, A]) {
        it(`/查询 #${item.no}${item.anon ? "（匿名）" : ""} × ${role} × ${where}`, async () => {
          const it = item;
          const before = written.length;
          const got = await say(who, `/查询 #${it.no}`, room);
          const texts = await check(got, `/查询 #${it.no} ${role} ${where}`);
          const mine = toAsker(got, who, room).map((o) => o.text ?? "");
          // the asker sees exactly what they may: no less, no more
          const best = mine.map((t) => shown(t, it)).reduce((x, y) => (le(x, y) ? y : x), "none" as Shown);
          expect(best, mine.join("\n---\n")).toBe(PERSON[who][it.anon ? "A" : "N"]);
          expect(mine.join("\n").includes("办理过程"), "timeline").toBe(le("unit", best));
          // a group that may see less gets one line; the answer went privately
          if (room && le(ROOM[room][it.anon ? "A" : "N"], "basic") && !le(best, "basic")) {
            expect(got.find((o) => o.room === room)?.text).toBe("详情已私信发给你");
            expect(got.some((o) => o.to === who)).toBe(true);
          }
          // any answer about an anonymous item is ephemeral (deleted once sent)
          if (it.anon && PERSON[who].A !== "none")
            expect(written.slice(before).filter((w) => w.text && shown(w.text, A) !== "none").every((w) => w.ephemeral)).toBe(true);
          expect(texts.join()).not.toContain("xiaomei");
        });
      }
      for (const cmd of ["/我的", "/逾期", "/逾期 @东村"]) {
        it(`${cmd} × ${role} × ${where}`, async () => {
          const got = await say(who, cmd, room);
          await check(got, `${cmd} ${role} ${where}`);
          if (cmd !== "/我的" && PERSON[who].N !== "none") {
            // both items are overdue: each line as much as the asker may see
            const mine = toAsker(got, who, room).map((o) => o.text ?? "").join("\n");
            expect(shown(mine, N)).toBe(PERSON[who].N);
            expect(shown(mine, A)).toBe(PERSON[who].A);
          }
        });
      }
    }
  }
});

describe("who sees what: notices and the ledger", () => {
  it("整改, 退回, 销号 notices", async () => {
    await check(await say("zhangsan", "/整改 #2 已重新评定", G), "整改");
    const back = await say("ban1", "/退回 #2 公示照片不清");
    // the unit's group, @-mentioning the assignee: the anonymous item as its unit sees it
    expect(back.find((o) => o.room === G && o.mentions?.includes("zhangsan"))?.text).toContain("匿名反映问题");
    await check(back, "退回");
    await check(await say("zhangsan", "/整改 #2 已补充公示照片", G), "整改 again");
    const closed = await say("shuji", "/销号 #2");
    expect(closed.find((o) => o.room === G && o.mentions?.includes("zhangsan"))?.text).toMatch(/^【销号】#2 匿名反映问题 已验收销号/);
    // the anonymous reporter is told nothing (nobody knows who it was)
    expect(closed.filter((o) => o.to === "xiaomei" || o.to === "lisi")).toEqual([]);
    await check(closed, "销号");
    await check(await say("wangwu", "/认领 #1", G), "认领");
  });

  const ledger = async (from: string, cmd: string, room?: string) => {
    const got = await say(from, cmd, room);
    await check(got, `${cmd} ${from} ${room ?? "私聊"}`);
    const file = got.find((o) => o.file)!;
    return { got, file, text: await textOf(file) };
  };

  it("the full ledger: 督办员 and 领导 privately, or a circular: full group", async () => {
    let l = await ledger("ban1", "/台账");
    expect(l.file.to).toBe("ban1");
    expect([shown(l.text, N), shown(l.text, A)]).toEqual(["full", "full"]);
    l = await ledger("shuji", "/台账", FULL);
    expect(l.file.room).toBe(FULL);
    expect(shown(l.text, A)).toBe("full");
  });

  it("a unit's group gets its own unit's ledger only, the anonymous item redacted", async () => {
    let l = await ledger("wangwu", "/导出", G);
    expect(l.file.room).toBe(G);
    expect([shown(l.text, N), shown(l.text, A)]).toEqual(["full", "unit"]);
    expect(l.text).not.toContain("西村");
    l = await ledger("ban1", "/台账 @东村", G);
    expect(l.file.room).toBe(G);
    expect(shown(l.text, A)).toBe("unit");
    // the whole township's ledger asked for in a unit's group: privately
    l = await ledger("ban1", "/台账", G);
    expect(l.file.to).toBe("ban1");
    expect(l.got.find((o) => o.room === G)?.text).toBe("详情已私信发给你");
    // a 负责人 in another unit's group: their own ledger, privately
    l = await ledger("wangwu", "/台账", OTHER);
    expect(l.file.to).toBe("wangwu");
    expect(shown(l.text, A)).toBe("unit");
  });

  it("the anonymous item keeps no trace of its reporter", async () => {
    const item = await b.db.item.findFirstOrThrow({ where: { no: 2 } });
    expect(item.reporterId).toBeNull();
    expect(item.sourceRoomId).toBeNull();
    const first = await b.db.event.findFirstOrThrow({ where: { itemId: item.id }, orderBy: { id: "asc" } });
    expect(first).toMatchObject({ kind: "匿名上报", actorId: null, chatId: null, messageKey: null });
    expect(await b.db.event.count({ where: { itemId: item.id, actorId: "lisi" } })).toBe(0);
  });
});

describe("unregistered senders", () => {
  it("are named 姓名（未登记，id）, never by display name alone", async () => {
    const got = await b.say("fake_shuji", "/上报 有人冒充领导", G);
    const office = got.find((o) => o.to === "ban1")!.text!;
    expect(office).toMatch(/来源：.+（未登记，fake_shuji），在东村工作群上报/);
  });
});
