// SPEC §4 on China's real 2026 calendar: reminders, escalation, digest, circular, phases, catch-up,
// exactly once.
import { spawn } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { bot, EXAMPLE_CONFIG, ROOT, type Out } from "./helpers.ts";

const G = "东村工作群";
const isReminder = (o: Out) => /^【(督办提醒|分管领导督办|督查问效|延期待批)】/.test(o.text ?? "");
const day = (o: Out) => o.at.slice(0, 10);

/** A bot on 2026-09-28 with one item of 东村/张三 due Wednesday 09-30, just before 国庆. */
async function beforeNationalDay(o: { store?: "sqlite" } = {}) {
  const b = await bot({ start: "2026-09-28T08:00:00+08:00", ...o });
  await b.say("ban1", "/上报 村务公开栏三个月未更新 @东村 @张三 截止:9月30日");
  return b;
}

describe("reminders on the real calendar", () => {
  it("nothing on 国庆 or a weekend; on the 调休 Saturday 10-10; escalation on the right day", async () => {
    const b = await beforeNationalDay();
    await b.at("2026-10-20T12:00:00+08:00");
    const rs = b.out.filter(isReminder);
    const days = [...new Set(rs.map(day))];
    // 1 workday before (09-29), then overdue every workday: 10-08, 10-09, 10-10 (调休), 10-12 …
    expect(days).toEqual(["2026-09-29", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13", "2026-10-14", "2026-10-15", "2026-10-16", "2026-10-19", "2026-10-20"]);
    expect(rs.every((o) => o.at.endsWith("T09:00:00+08:00"))).toBe(true);
    const on = (d: string) => rs.filter((o) => day(o) === d);
    expect(on("2026-09-29")).toEqual([{ at: "2026-09-29T09:00:00+08:00", room: G, mentions: ["zhangsan"], text: expect.stringContaining("#1 村务公开栏三个月未更新（还有1个工作日到期，截止9月30日，张三）") }]);
    // overdue: the assignee and the unit's 负责人, in the unit's group
    expect(on("2026-10-08")).toEqual([expect.objectContaining({ room: G, mentions: ["wangwu", "zhangsan"], text: expect.stringContaining("逾期1个工作日") })]);
    expect(on("2026-10-09").length).toBe(1);
    // overdue by 3 on 10-10: the 分管领导 too
    expect(on("2026-10-10")).toEqual([
      expect.objectContaining({ room: G, text: expect.stringContaining("逾期3个工作日") }),
      expect.objectContaining({ to: "fuzhen_li", text: expect.stringMatching(/^【分管领导督办】[\s\S]*逾期3个工作日/) }),
    ]);
    // overdue by 7 on 10-15 (10-13 is 4 … 10-15 is 7): the 督办员 (督查问效)
    expect(on("2026-10-14").map((o) => o.to ?? o.room)).toEqual([G, "fuzhen_li"]);
    expect(on("2026-10-15").map((o) => o.to ?? o.room)).toEqual([G, "ban1", "ban2", "fuzhen_li"]);
    expect(on("2026-10-15").find((o) => o.to === "ban1")!.text).toMatch(/^【督查问效】以下 1 个问题逾期满 7 个工作日/);
    await b.close();
  });

  it("one message per person per run, all their items, overdue first", async () => {
    const b = await bot({ start: "2026-03-02T08:00:00+08:00" });
    // 镇财政所 has no group: its people are reminded privately
    await b.say("ban1", "/上报 报销凭证不全 @镇财政所 @钟会计 截止:3月3日");
    await b.say("ban1", "/上报 票据未装订 @镇财政所 @钟会计 截止:3月6日");
    await b.say("ban1", "/上报 公务接待无公函 @镇财政所 @钟会计 截止:3月4日");
    await b.at("2026-03-05T09:30:00+08:00");
    const mine = b.out.filter((o) => isReminder(o) && o.to === "kuaiji" && day(o) === "2026-03-05");
    expect(mine.length).toBe(1);
    expect(mine[0].text!.split("\n")).toEqual([
      "【督办提醒】你有 3 个问题需要关注：",
      "逾期未销号：",
      "#1 【镇财政所】报销凭证不全（逾期2个工作日，截止3月3日，钟会计）",
      "#3 【镇财政所】公务接待无公函（逾期1个工作日，截止3月4日，钟会计）",
      "即将到期：",
      "#2 【镇财政所】票据未装订（还有1个工作日到期，截止3月6日，钟会计）",
      "完成后发送 /整改 #编号 整改情况。",
    ]);
    // the 负责人 hears of the overdue ones (not of what is merely due soon for an assigned item)
    const head = b.out.filter((o) => isReminder(o) && o.to === "zhaoliu" && day(o) === "2026-03-05");
    expect(head.length).toBe(1);
    expect(head[0].text).not.toContain("#2");
    await b.close();
  });

  it("a long list is cut at 20 lines with a count of the rest, worst first", async () => {
    const b = await bot({ start: "2026-03-02T08:00:00+08:00" });
    for (let i = 1; i <= 25; i++) await b.say("ban1", `/上报 问题${i} @镇财政所 @钟会计 截止:3月${i <= 5 ? 3 : 4}日`);
    await b.at("2026-03-06T09:30:00+08:00");
    const msg = b.out.find((o) => isReminder(o) && o.to === "kuaiji" && day(o) === "2026-03-06")!.text!.split("\n");
    expect(msg[0]).toBe("【督办提醒】你有 25 个问题需要关注：");
    expect(msg.filter((l) => l.startsWith("#")).length).toBe(20);
    expect(msg[2]).toMatch(/^#1 【镇财政所】问题1（逾期3个工作日/); // the five due 03-03 come first
    expect(msg).toContain("……另有 5 个，发送 /逾期 或 /我的 查看");
    await b.close();
  });

  it("milestones of 长期整改 and extension requests waiting more than a workday", async () => {
    const b = await bot({ start: "2026-03-02T08:00:00+08:00" });
    await b.say("ban1", "/上报 低保评议不公开 @西村 @陈七 截止:6月30日");
    await b.say("ban1", "/长期 #1 计划:分步建立评议公示制度 节点:3月11日,6月30日");
    await b.say("ban1", "/上报 项目资料缺失 @南山村 @杨会计 截止:3月31日");
    await b.say("laoyang", "/延期 #2 4月30日 资料在县里", "南山村工作群");
    await b.at("2026-03-10T12:00:00+08:00");
    const ms = b.out.filter((o) => isReminder(o) && o.room === "西村工作群");
    expect(ms.map(day)).toEqual(["2026-03-06", "2026-03-10"]); // 3 and 1 workdays before 03-11
    expect(ms[1].text).toContain("节点3月11日还有1个工作日");
    // the request of Monday 03-02 waits since 03-03 (one workday later): the 督办员 are reminded daily
    const ext = b.out.filter((o) => o.to === "ban1" && o.text?.startsWith("【延期待批】"));
    expect(ext.map(day)).toEqual(["2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-09", "2026-03-10"]);
    await b.say("ban1", "/同意延期 #2");
    await b.at("2026-03-11T12:00:00+08:00");
    expect(b.out.filter((o) => o.to === "ban1" && o.text?.startsWith("【延期待批】") && day(o) === "2026-03-11")).toEqual([]);
    await b.close();
  });
});

describe("catch-up and exactly once", () => {
  it("stop at 08:00, start at 11:00 the same day: that day's reminders once, at 11:00", async () => {
    const b = await beforeNationalDay();
    await b.at("2026-10-09T08:00:00+08:00");
    await b.sim.stop();
    await b.at("2026-10-09T11:00:00+08:00");
    await b.sim.start();
    await b.at("2026-10-09T18:00:00+08:00");
    const today = b.out.filter((o) => isReminder(o) && day(o) === "2026-10-09");
    expect(today).toEqual([expect.objectContaining({ at: "2026-10-09T11:00:00+08:00", room: G, text: expect.stringContaining("逾期2个工作日") })]);
    // and a restart later that day sends nothing again
    await b.sim.stop();
    await b.sim.start();
    await b.at("2026-10-09T19:00:00+08:00");
    expect(b.out.filter((o) => isReminder(o) && day(o) === "2026-10-09").length).toBe(1);
    await b.close();
  });

  it("stopped over two days: no burst of stale reminders, only today's run", async () => {
    const b = await beforeNationalDay();
    await b.at("2026-10-09T10:00:00+08:00");
    await b.sim.stop();
    await b.at("2026-10-13T10:30:00+08:00");
    await b.sim.start();
    const after = b.out.filter((o) => isReminder(o) && o.at > "2026-10-09T12");
    expect(after.map((o) => [o.at, o.room ?? o.to])).toEqual([
      ["2026-10-13T10:30:00+08:00", G],
      ["2026-10-13T10:30:00+08:00", "fuzhen_li"],
    ]);
    expect(after[0].text).toContain("逾期5个工作日");
    await b.close();
  });

  it("a restart in quiet hours does not send that day's missed run", async () => {
    const b = await beforeNationalDay();
    await b.at("2026-10-09T08:00:00+08:00");
    await b.sim.stop();
    await b.at("2026-10-09T21:30:00+08:00");
    await b.sim.start();
    await b.at("2026-10-09T23:59:00+08:00");
    expect(b.out.filter((o) => isReminder(o) && day(o) === "2026-10-09")).toEqual([]);
    await b.at("2026-10-10T09:00:00+08:00");
    expect(b.out.filter((o) => isReminder(o) && day(o) === "2026-10-10").length).toBe(2);
    await b.close();
  });

  it("two instances (two processes) on one SQLite file running the same jobs: every dispatch key sent once", async () => {
    const b = await beforeNationalDay({ store: "sqlite" }); // (PostgreSQL: test/instances-pg.test.ts)
    await b.say("ban1", "/上报 票据未装订 @镇财政所 @钟会计 截止:9月30日");
    await b.say("ban1", "/上报 公务接待无公函 @镇财政所 截止:9月29日");
    await b.at("2026-10-09T08:00:00+08:00");
    const file = b.sim.databaseFile;
    await b.sim.stop();
    const twin = () =>
      new Promise<Out[]>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "test/fixtures/twin-child.ts"), file, EXAMPLE_CONFIG, "2026-10-09T09:00:00+08:00"], { stdio: ["ignore", "pipe", "inherit"] });
        let buf = "";
        child.stdout.on("data", (d) => (buf += d));
        child.on("exit", (code) => (code === 0 ? resolve(buf.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l))) : reject(new Error(`twin exited ${code}`))));
      });
    const [x, y] = await Promise.all([twin(), twin()]);
    const sent = [...x, ...y];
    expect(sent.map((o) => o.room ?? o.to).sort()).toEqual([G, "fuzhen_li", "kuaiji", "zhaoliu"].sort());
    const raw = new Database(file, { readonly: true });
    const keys = raw.prepare("SELECT dispatchKey, status FROM Outbox WHERE dispatchKey LIKE 'reminder:%:2026-10-09'").all() as { dispatchKey: string; status: string }[];
    expect(keys.length).toBe(4);
    expect(keys.every((k) => k.status === "sent")).toBe(true);
    expect((raw.prepare("SELECT COUNT(*) AS n FROM JobRun WHERE job = 'reminders' AND period = '2026-10-09'").get() as { n: number }).n).toBe(1);
    raw.close();
    await b.close();
  }, 120_000);
});

describe("weekly digest, monthly circular, phases", () => {
  it("the digest goes to every 领导 on Monday 08:30, and after 国庆 on the first workday", async () => {
    const b = await beforeNationalDay();
    await b.at("2026-10-13T12:00:00+08:00");
    const digests = b.out.filter((o) => o.text?.startsWith("【督办周报】"));
    const leaders = ["shuji", "zhenzhang", "jiwei", "fuzhen_li", "fuzhen_zhou"];
    // Monday 10-05 is a holiday: that week's digest goes out Thursday 10-08 at 08:30; then Monday 10-12
    expect([...new Set(digests.map((o) => o.at))]).toEqual(["2026-09-28T08:30:00+08:00", "2026-10-08T08:30:00+08:00", "2026-10-12T08:30:00+08:00"]);
    expect(digests.filter((o) => o.at.startsWith("2026-10-08")).map((o) => o.to)).toEqual(leaders);
    const li = digests.find((o) => o.to === "fuzhen_li" && o.at.startsWith("2026-10-12"))!.text!;
    expect(li).toContain("当前逾期 1 个");
    expect(li).toContain("#1 【东村】村务公开栏三个月未更新（逾期4个工作日）");
    expect(li).toContain("红色单位：东村");
    await b.close();
  });

  it("digest periods follow the calendar: moved to 10-08 it covers 9-28..10-07, the next (10-12) 10-08..10-11", async () => {
    const b = await beforeNationalDay(); // #1 reported 09-28 08:00
    await b.at("2026-10-03T10:00:00+08:00");
    await b.say("ban1", "/上报 国庆值班脱岗 @西村 截止:10月9日"); // a holiday: in the 10-08 digest
    await b.at("2026-10-08T12:00:00+08:00");
    await b.say("ban1", "/上报 值班表未公示 @南山村 截止:10月16日"); // after the 10-08 digest: in the 10-12 one
    await b.at("2026-10-12T12:00:00+08:00");
    const of = (d: string) => b.out.find((o) => o.to === "shuji" && o.at.startsWith(d) && o.text?.startsWith("【督办周报】"))!.text!.split("\n");
    expect(of("2026-10-08").slice(0, 2)).toEqual(["【督办周报】李书记，9月28日至10月7日：", "新增问题 2 个，销号 0 个，当前逾期 1 个。"]);
    expect(of("2026-10-12").slice(0, 2)).toEqual(["【督办周报】李书记，10月8日至10月11日：", "新增问题 1 个，销号 0 个，当前逾期 2 个。"]);
    await b.close();
  });

  it("the circular's draft goes privately to every 督办员 and 领导 on the 3rd workday (10-10, the 调休 Saturday) at 10:00, once; as of 9-30 24:00", async () => {
    const b = await beforeNationalDay();
    await b.say("zhangsan", "/整改 #1 已更新", G);
    await b.say("ban1", "/销号 #1");
    await b.say("ban1", "/上报 窗口态度生硬 @镇便民服务中心 截止:9月29日");
    await b.at("2026-10-09T10:00:00+08:00");
    await b.say("ban1", "/上报 十月的新问题 @西村 截止:10月12日"); // after the month's end: not in September's circular
    await b.at("2026-10-10T11:00:00+08:00");
    const head = b.out.filter((o) => o.text?.startsWith("【通报草稿·待审核】2026年9月通报"));
    expect(head.map((o) => [o.at, o.to])).toEqual(["shuji", "zhenzhang", "jiwei", "fuzhen_li", "fuzhen_zhou", "ban1", "ban2"].map((id) => ["2026-10-10T10:00:00+08:00", id]));
    expect(b.out.some((o) => o.room && o.text?.startsWith("关于青山镇2026年9月"))).toBe(false);
    const text = b.out.find((o) => o.to === "ban1" && o.text?.startsWith("关于青山镇2026年9月干部作风整顿工作情况的通报"))!.text!;
    expect(text).toContain("本月新增问题2个，累计查摆问题2个；本月销号1个，累计销号1个，按期完成率50%；截至2026年9月30日24时，逾期未销号问题1个。");
    expect(text).toMatch(/1\. 东村【绿】问题1个，已销号1个，按期完成率100%，逾期0个/);
    expect(text).toMatch(/镇便民服务中心【红】问题1个，已销号0个，按期完成率0%，逾期1个/);
    // overdue days counted up to the month's last day (09-30): one workday after 09-29
    expect(text).toContain("#2 镇便民服务中心：窗口态度生硬，截止9月29日，逾期1个工作日");
    expect(text).toContain("东村（本月销号1个）整改及时、成效明显，予以通报表扬。");
    expect(text).not.toContain("十月的新问题");
    await b.at("2026-10-31T12:00:00+08:00");
    expect(b.out.filter((o) => o.text?.startsWith("【通报草稿·待审核】2026年9月")).length).toBe(head.length);
    // reminded each workday at 09:00 while unpublished
    const nags = b.out.filter((o) => o.to === "ban1" && o.text?.startsWith("【通报待发布】"));
    expect(nags[0].at).toBe("2026-10-12T09:00:00+08:00");
    expect(nags.every((o) => o.at.endsWith("T09:00:00+08:00"))).toBe(true);
    await b.close();
  });

  it("/通报 发布 publishes at once and the schedule then skips that month; the text is deterministic", async () => {
    const b = await bot({ start: "2026-04-01T09:30:00+08:00" });
    const reply = await b.ask("ban1", "/通报 发布");
    expect(reply).toBe("已发布2026年3月通报（数据截至2026年3月31日24时，附图表；单位群附本单位台账），发往 6 个工作群");
    const first = b.out.filter((o) => o.text?.startsWith("关于青山镇2026年3月"));
    expect(new Set(first.map((o) => o.text)).size).toBe(1);
    // each group gets the chart; each unit group its own unit's ledger, the circular group none
    expect(b.out.filter((o) => o.room && o.file?.endsWith(".png")).length).toBe(6);
    expect(b.out.filter((o) => o.room && o.file?.endsWith(".xlsx")).length).toBe(5);
    await b.at("2026-04-30T12:00:00+08:00");
    expect(b.out.filter((o) => o.text?.startsWith("关于青山镇2026年3月")).length).toBe(first.length);
    expect(b.out.filter((o) => o.text?.startsWith("【通报草稿") || o.text?.startsWith("【通报待发布】"))).toEqual([]);
    expect(await b.ask("ban1", "/通报 2027-01")).toMatch(/^2027年1月不在2026年干部作风整顿期间/);
    await b.close();
  });

  it("phase reminders at a phase's start and 3 workdays before its hand-in date", async () => {
    const b = await bot({ start: "2026-02-10T08:00:00+08:00" });
    await b.at("2026-04-02T12:00:00+08:00");
    const ph = b.out.filter((o) => /^【(阶段|报送)提醒】/.test(o.text ?? ""));
    const firsts = [...new Map(ph.map((o) => [o.text, o.at])).entries()].map(([t, at]) => [at.slice(0, 16), t!.split("」")[0]]);
    expect(firsts).toEqual([
      ["2026-02-10T09:00", "【阶段提醒】2026年干部作风整顿进入「谋划部署"],
      ["2026-02-24T09:00", "【阶段提醒】2026年干部作风整顿进入「查摆问题"], // starts 02-19 during 春节: the first workday after
      ["2026-03-17T09:00", "【报送提醒】「查摆问题"],
      ["2026-04-02T09:00", "【阶段提醒】2026年干部作风整顿进入「整改落实"],
    ]);
    // to every unit group, and privately to the 负责人 of units without one
    expect(ph.filter((o) => o.at.startsWith("2026-03-17")).map((o) => o.room ?? o.to)).toEqual([
      "东村工作群", "西村工作群", "南山村工作群", "河坝社区工作群", "便民服务中心群", "fener", "jiangsan", "wushi", "zhaoliu",
    ]);
    await b.close();
  });
});
