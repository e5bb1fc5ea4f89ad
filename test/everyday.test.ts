// Everyday use (SPEC §3): what a clerk meets besides the commands themselves.
import { afterEach, describe, expect, it } from "vitest";
import { bot } from "./helpers.ts";

const G = "东村工作群";
let b: Awaited<ReturnType<typeof bot>>;
afterEach(async () => b?.close());

describe("a message meant for the bot that is no command gets a pointer to /帮助", () => {
  it("an @-mention of the bot, a bare /, a private message; group talk stays unanswered", async () => {
    b = await bot();
    const pointer = /^我是青山镇作风整顿督办助手，只认以 \/ 开头的命令。发送 \/帮助 查看你能用的命令。$/;
    const mention = await b.say("zhangsan", "@督办助手 公开栏的事怎么报？", G);
    expect(mention).toEqual([expect.objectContaining({ room: G, mentions: ["zhangsan"], text: expect.stringMatching(pointer) })]);
    const slash = await b.say("lisi", "／", G);
    expect(slash).toEqual([expect.objectContaining({ room: G, mentions: ["lisi"], text: expect.stringMatching(pointer) })]);
    const priv = await b.say("wangwu", "你好");
    expect(priv).toEqual([expect.objectContaining({ to: "wangwu", text: expect.stringMatching(pointer) })]);
    expect(await b.say("zhangsan", "今天开会别忘了", G)).toEqual([]);
    // delivered twice, answered once
    expect(await b.say("zhangsan", "@督办助手 在吗", G, "dup-1")).toHaveLength(1);
    expect(await b.say("zhangsan", "@督办助手 在吗", G, "dup-1")).toEqual([]);
    expect(await b.db.item.count()).toBe(0);
  });
});

describe("npm start refuses a database its config contradicts, in Chinese", () => {
  it("items of a unit the file no longer names: exit 2 with the unit and the count, no stack trace", async () => {
    const { spawnSync } = await import("node:child_process");
    const { example, ROOT } = await import("./helpers.ts");
    const cfg = example();
    cfg.units.push({ ...cfg.units[0], name: "旧村", rooms: [], head: undefined, leader: undefined, renamedFrom: [] } as (typeof cfg.units)[number]);
    b = await bot({ cfg });
    await b.say("ban1", "/上报 旧村公开栏未更新 @旧村 截止:3月20日");
    expect(await b.db.item.count({ where: { unitName: "旧村" } })).toBe(1);
    await b.sim.stop();
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: { ...process.env, DATABASE_URL: b.url, DUBAN_CONFIG: "examples/duban.example.yaml" }, input: "" });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("旧村");
    expect(r.stderr).toMatch(/1 ?个/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("reminders show an anonymous report's words to 领导 and 督办员 only (SPEC §1)", () => {
  it("the unit's group and its people read 匿名反映问题; the 分管领导 reads the report", async () => {
    b = await bot();
    await b.say("xiaomei", "/匿名上报 东村有人吃拿卡要 #八项规定");
    await b.say("ban1", "/交办 #1 @东村 @张三 截止:3月3日 措施:核查收费情况");
    const before = b.out.length;
    await b.at("2026-03-09T09:30:00+08:00"); // overdue 4 workdays: the 分管领导 hears of it too
    const sent = b.out.slice(before).filter((o) => o.text?.includes("#1"));
    const group = sent.filter((o) => o.room === G);
    const leader = sent.filter((o) => o.to === "fuzhen_li");
    expect(group.length).toBeGreaterThan(0);
    expect(leader.length).toBeGreaterThan(0);
    for (const o of group) {
      expect(o.text).toContain("#1 匿名反映问题");
      expect(o.text).not.toContain("吃拿卡要");
    }
    expect(leader.at(-1)!.text).toContain("东村有人吃拿卡要");
    expect(leader.at(-1)!.text).toContain("逾期满 3 个工作日");
  });
});

describe("no sample township's words in what the bot says", () => {
  it("a 街道's circular addresses 街道各部门 and names the 街道纪工委 and its own office", async () => {
    const { example } = await import("./helpers.ts");
    const cfg = example();
    cfg.org = "城关街道";
    cfg.office = { name: "城关街道作风建设领导小组办公室", short: "作风建设办" };
    b = await bot({ cfg, start: "2026-03-05T09:00:00+08:00" });
    await b.at("2026-03-05T09:10:00+08:00");
    const draft = (await b.say("ban1", "/通报 2026-02")).map((o) => o.text ?? "").join("\n");
    expect(draft).toContain("各村（社区）、街道各部门：");
    expect(draft).toContain("作风建设办将会同街道纪工委督查问效");
    expect(draft).toContain("城关街道作风建设领导小组办公室");
    // (the example's units are still called 镇财政所 …: names from the config are fine)
    const own = cfg.units.reduce((t, u) => t.split(u.name).join("〔单位〕"), draft);
    expect(own.match(/.{0,12}(镇|青山|作风整顿办).{0,12}/g) ?? []).toEqual([]);
  });
});

describe("the dedupe key is channel:account:message id (several channels and bot accounts at once)", () => {
  it("the same id twice on one channel is one message; on another channel or account it is another", async () => {
    b = await bot();
    const msg = (channel: string, account: string) => ({ channel, account, id: "m-1", chat: { kind: "private" as const }, senderId: "zhangsan", senderName: "张三", text: "/上报 公开栏未更新", mentioned: [] });
    expect(await b.sim.app!.handle(msg("wecom-aibot", "bot-a"))).toBe("handled");
    expect(await b.sim.app!.handle(msg("wecom-aibot", "bot-a"))).toBe("duplicate");
    expect(await b.sim.app!.handle(msg("wecom-aibot", "bot-b"))).toBe("handled");
    expect(await b.sim.app!.handle(msg("wechaty", "bot-a"))).toBe("handled");
    expect(await b.db.item.count()).toBe(3);
  });
});

describe("deadlines and months as cadres write them (SPEC §3)", () => {
  it("a deadline in a year the calendar does not know, or after the campaign, is accepted with a note", async () => {
    b = await bot({ start: "2026-11-02T09:00:00+08:00" });
    await b.say("zhangsan", "/上报 公开栏未更新", G);
    const late = await b.ask("ban1", "/交办 #1 @东村 @张三 截止:11月30日");
    expect(late).toMatch(/^已交办 #1 给东村·张三，截止 11月30日\n（提示：截止日期 11月30日 晚于本次整顿结束日期 11月20日，已照此登记；如有误请重新交办）$/);
    await b.say("zhangsan", "/上报 办事窗口中午无人", G);
    const nextYear = await b.ask("ban1", "/交办 #2 @东村 @张三 截止:2027-01-15");
    expect(nextYear).toContain("系统还没有 2027 年的法定节假日和调休安排，2027 年暂按周一至周五计算工作日");
    expect(nextYear).toContain("calendar.extraHolidays");
    expect(await b.db.item.count({ where: { deadline: { in: ["2026-11-30", "2027-01-15"] } } })).toBe(2);
    const ok = await b.ask("ban1", "/交办 #2 @东村 @张三 截止:11月13日");
    expect(ok).not.toContain("提示");
  });

  it("/通报 3月, /通报 上月, /通报 2026年3月 name the month; a month without a year is the latest one", async () => {
    b = await bot({ start: "2026-04-07T09:00:00+08:00" });
    let minute = 0;
    const draft = async (w: string) => {
      await b.at(`2026-04-07T09:${String(++minute * 2).padStart(2, "0")}:00+08:00`); // (each draft is 4 messages: stay under the rate limit)
      return (await b.say("ban1", `/通报 ${w}`)).map((o) => o.text ?? "").join("\n");
    };
    for (const w of ["3月", "三月", "2026年3月", "2026-3", "上月", "３月份"]) expect(await draft(w), w).toContain("2026年3月通报（数据截至2026年3月31日24时）");
    expect(await draft("11月")).toMatch(/2025年11月.*整顿/); // the latest November: before the campaign, refused with the reason
    expect(await draft("十三月")).toContain("「十三月」不是有效的月份，请写成 2026-03 或 3月 这样");
  });
});
