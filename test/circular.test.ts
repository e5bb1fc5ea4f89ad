// The monthly circular (SPEC §1, §3 /通报, §4): every figure as of the month's end, rebuilt from the
// timeline (the same draft later has the same figures); totals = the sum of the units; fairness (无问题 apart,
// 按期完成率, a pending extension filed in time is not overdue); review before publishing; published once;
// corrections; who gets which ledger; never lost while the bot was down.
import { describe, expect, it } from "vitest";
import { bot, example, type Out } from "./helpers.ts";
import { chartPng, chartPngAsync } from "../src/reports/chart.ts";

const REVIEWERS = ["shuji", "zhenzhang", "jiwei", "fuzhen_li", "fuzhen_zhou", "ban1", "ban2"];
const TITLE = "关于青山镇2026年2月干部作风整顿工作情况的通报";
/** the circular's text without its last line (the date it is signed) */
const body = (t: string) => t.split("\n").slice(0, -1).join("\n");
/** What `to` (a person or a group) got as text, long texts joined back from their parts. */
const texts = (outs: Out[], to: string) => {
  const mine = outs.filter((o) => (o.to ?? o.room) === to && o.text).map((o) => o.text!);
  const whole: string[] = [];
  for (const t of mine) if (whole.length && !/^(关于|【)/.test(t)) whole[whole.length - 1] += "\n" + t;
  else whole.push(t);
  return whole;
};
const circularOf = (outs: Out[], to: string) => texts(outs, to).find((t) => t.startsWith("关于青山镇"))!;
const ROOMS = ["东村工作群", "西村工作群", "南山村工作群", "河坝社区工作群", "便民服务中心群", "作风整顿工作群"];

/**
 * February on the real calendar (2-28 is a 调休 Saturday, a workday):
 * #1 东村, due 2-26, closed 2-25 (on time); #2 西村, due 2-26, open (overdue 2 workdays at 2-28);
 * #3 南山村, due 3-10 (nothing due yet); #4 no unit (未交办); #5 河坝社区, due 2-27, extension asked
 * 2-26 and still pending at the month's end; #6 anonymous, 镇财政所, due 2-26 (overdue).
 */
async function february(cfg = example()) {
  const b = await bot({ cfg, start: "2026-02-24T09:00:00+08:00" });
  await b.say("ban1", "/上报 村务公开栏未更新 @东村 截止:2月26日");
  await b.say("ban1", "/上报 低保评议未公示 @西村 截止:2月26日");
  await b.say("ban1", "/上报 工程资料不全 @南山村 截止:3月10日");
  await b.say("zhangsan", "/上报 公厕无人打扫", "东村工作群");
  await b.say("ban1", "/上报 代办点午间无人 @河坝社区 截止:2月27日");
  await b.say("xiaomei", "/匿名上报 财政所报销要送礼才给办");
  await b.say("ban1", "/交办 #6 @镇财政所 截止:2月26日 措施:规范报销流程");
  await b.at("2026-02-25T10:00:00+08:00");
  await b.say("wangwu", "/整改 #1 已更新公开栏", "东村工作群");
  await b.say("ban1", "/销号 #1");
  await b.at("2026-02-26T10:00:00+08:00");
  await b.say("zhoujiu", "/延期 #5 3月20日 需协调社区志愿者", "河坝社区工作群");
  return b;
}

/** The unit lines of a circular: name, status, items, closed, overdue. */
function unitLines(text: string) {
  return [...text.matchAll(/^　　\d+\. (\S+)【(.)】问题(\d+)个，已销号(\d+)个，按期完成率([^，]+)，逾期(\d+)个/gm)].map((m) => ({
    unit: m[1],
    light: m[2],
    total: +m[3],
    closed: +m[4],
    rate: m[5],
    overdue: +m[6],
  }));
}

/** Totals = the sum of the ranked units (+ 未交办); the overdue named are the overdue counted. */
function expectConsistent(text: string) {
  const units = unitLines(text);
  const [, cumulative, closed] = /累计查摆问题(\d+)个；本月销号\d+个，累计销号(\d+)个/.exec(text)!.map(Number);
  const overdue = +/逾期未销号问题(\d+)个/.exec(text)![1];
  const unassigned = +(/未交办问题(\d+)个/.exec(text)?.[1] ?? 0);
  expect(units.reduce((n, u) => n + u.total, 0) + unassigned).toBe(cumulative);
  expect(units.reduce((n, u) => n + u.closed, 0)).toBe(closed);
  expect(units.reduce((n, u) => n + u.overdue, 0)).toBe(overdue);
  const named = text.split("三、亮相揭丑")[1].split("四、")[0].match(/^　　#\d+ /gm) ?? [];
  expect(named.length).toBe(Math.min(20, overdue));
  for (const u of units) expect(u.total).toBeGreaterThan(0); // 无问题 units are never ranked
}

describe("the circular is as of the month's end", () => {
  it("February's draft: figures, fairness, anonymity; unchanged by what happens in March", async () => {
    const b = await february();
    await b.at("2026-03-02T09:30:00+08:00");
    const first = await b.say("ban1", "/通报 2026-02");
    expect(first.every((o) => o.to === "ban1")).toBe(true); // privately: how to publish, the text, chart, ledger
    const draft = texts(first, "ban1")[0];
    expect(draft).toMatch(/^【通报草稿·待审核】2026年2月通报（数据截至2026年2月28日24时）/);
    expect(draft).toContain("核对无误后发送 /通报 发布 2026-02 即正式发布");
    expect(draft).toMatch(/发布后发往.*东村工作群/);
    expect(first.filter((o) => o.file).map((o) => o.file!.slice(-4))).toEqual([".png", "xlsx"]);
    const a = circularOf(first, "ban1");
    expect(a.startsWith(TITLE)).toBe(true);
    expect(a).toContain("现将2026年2月干部作风整顿问题整改情况通报如下（数据截至2026年2月28日24时）。");
    expect(a).toContain("本月新增问题6个，累计查摆问题6个；本月销号1个，累计销号1个，按期完成率33%；截至2026年2月28日24时，逾期未销号问题2个，延期申请待审批1个，尚未交办1个。");
    expect(unitLines(a)).toEqual([
      { unit: "东村", light: "绿", total: 1, closed: 1, rate: "100%", overdue: 0 },
      { unit: "南山村", light: "绿", total: 1, closed: 0, rate: "—（尚无到期问题）", overdue: 0 },
      { unit: "河坝社区", light: "绿", total: 1, closed: 0, rate: "—（尚无到期问题）", overdue: 0 },
      { unit: "西村", light: "红", total: 1, closed: 0, rate: "0%", overdue: 1 },
      { unit: "镇财政所", light: "红", total: 1, closed: 0, rate: "0%", overdue: 1 },
    ]);
    expect(a).toContain("河坝社区【绿】问题1个，已销号0个，按期完成率—（尚无到期问题），逾期0个，延期待批1个");
    expect(a).toContain("无问题：镇社会事务办、镇便民服务中心、镇城镇建设办、镇农业服务中心（不参与排名）");
    expect(a).toContain("按期完成率＝按期销号问题数÷到期问题数");
    expect(a).toContain("#2 西村：低保评议未公示，截止2月26日，逾期2个工作日");
    expect(a).toContain("#6 镇财政所：匿名反映问题，截止2月26日，逾期2个工作日");
    expect(a).not.toContain("送礼");
    expect(a).toContain("东村（本月销号1个）整改及时");
    expectConsistent(a);

    // March: a new report, #2 closed, #5's extension refused, #4 assigned, #3 extended
    await b.say("ban1", "/上报 窗口态度生硬 @镇便民服务中心 截止:3月4日");
    await b.say("chenqi", "/整改 #2 已公示", "西村工作群");
    await b.say("ban1", "/销号 #2");
    await b.say("ban2", "/拒绝延期 #5 请按期完成");
    await b.say("ban1", "/交办 #4 @东村 截止:3月5日");
    await b.say("sunba", "/延期 #3 3月31日 资料在县里", "南山村工作群");
    await b.say("ban1", "/同意延期 #3");
    await b.at("2026-03-20T10:00:00+08:00");
    const again = circularOf(await b.say("ban1", "/通报 2026-02"), "ban1");
    expect(body(again)).toBe(body(a));
    // while March's own draft does see them (and is consistent too)
    await b.at("2026-04-01T10:00:00+08:00");
    const march = circularOf(await b.say("ban1", "/通报"), "ban1");
    expect(march).toContain("数据截至2026年3月31日24时");
    expect(march).toContain("本月新增问题1个，累计查摆问题7个；本月销号1个，累计销号2个");
    expect(march).not.toContain("未交办问题");
    expectConsistent(march);
    await b.close();
  });

  it("refuses a month outside the campaign or not yet ended, and sends nothing", async () => {
    const b = await bot({ start: "2026-03-20T09:00:00+08:00" });
    for (const [cmd, why] of [
      ["/通报 1999-01", "1999年1月不在2026年干部作风整顿期间（2026年2月至2026年11月），没有该月通报"],
      ["/通报 2026-03", "2026年3月尚未结束，不能通报"],
      ["/通报 发布 2026-03", "2026年3月尚未结束，不能通报"],
      ["/通报 发布 2026-12", "2026年12月不在2026年干部作风整顿期间"],
      ["/通报 更正 2026-02 数字有误", "2026年2月通报尚未发布，不能更正"],
    ]) {
      const got = await b.say("ban1", cmd);
      expect(got.length, cmd).toBe(1);
      expect(got[0].to).toBe("ban1");
      expect(got[0].text, cmd).toContain(why);
    }
    expect((await b.say("ban1", "/通报 更正 2026-02"))[0].text).toContain("更正需写明原因");
    expect(await b.db.circular.count()).toBe(0);
    await b.close();
  });
});

describe("review before publishing", () => {
  it("draft to every 督办员 and 领导 on the circular day, reminded while unpublished; published once; corrected", async () => {
    const b = await february();
    await b.at("2026-03-04T11:00:00+08:00"); // the 3rd workday of March
    const drafts = b.out.filter((o) => o.at === "2026-03-04T10:00:00+08:00");
    expect(drafts.every((o) => o.to)).toBe(true); // nothing to a group
    expect(drafts.filter((o) => o.text?.startsWith("【通报草稿")).map((o) => o.to)).toEqual(REVIEWERS);
    for (const id of REVIEWERS) expect(drafts.filter((o) => o.to === id && o.file).length).toBe(2); // chart, full ledger
    const draftText = circularOf(drafts, "ban1");
    expect(b.out.some((o) => o.room && o.text?.startsWith(TITLE))).toBe(false);

    await b.at("2026-03-05T09:30:00+08:00");
    const nag = b.out.filter((o) => o.text?.startsWith("【通报待发布】"));
    expect(nag.map((o) => [o.at, o.to])).toEqual(REVIEWERS.map((id) => ["2026-03-05T09:00:00+08:00", id]));
    expect(nag[0].text).toContain("/通报 发布 2026-02");

    const pub = await b.say("ban1", "/通报 发布 2026-02");
    expect(pub.find((o) => o.to === "ban1")!.text).toBe("已发布2026年2月通报（数据截至2026年2月28日24时，附图表；单位群附本单位台账），发往 6 个工作群");
    for (const room of ROOMS) expect(body(circularOf(pub, room))).toBe(body(draftText));
    // each unit group gets the chart and its own unit's ledger only; the circular group no ledger
    expect(pub.filter((o) => o.room === "作风整顿工作群" && o.file).map((o) => o.file!.slice(-4))).toEqual([".png"]);
    for (const room of ["东村工作群", "河坝社区工作群"]) {
      const files = pub.filter((o) => o.room === room && o.file).map((o) => o.file!);
      expect(files.length).toBe(2);
      expect(files[0]).toMatch(/\.png$/);
      expect(files[1]).toMatch(new RegExp(`通报附件-问题台账-青山镇-${room.replace("工作群", "")}-.*\\.xlsx$`));
    }
    const kept = await b.db.circular.findMany();
    expect(kept.map((c) => [c.month, c.seq, c.publishedBy])).toEqual([["2026-02", 1, "ban1"]]);
    expect(kept[0].text).toBe(circularOf(pub, "东村工作群"));

    expect((await b.say("shuji", "/通报 发布 2026-02"))[0].text).toBe("2026年2月通报已于3月5日发布，不再重复发布；如需更正，发送 /通报 更正 2026-02 更正原因");
    await b.at("2026-03-06T09:30:00+08:00");
    expect(b.out.filter((o) => o.text?.startsWith("【通报待发布】") && o.at.startsWith("2026-03-06"))).toEqual([]);

    const fix = await b.say("shuji", "/通报 更正 2026-02 西村问题数填报有误");
    const fixed = circularOf(fix, "东村工作群");
    expect(fixed.startsWith(`${TITLE}（更正）`)).toBe(true);
    expect(fixed).toContain("本通报对3月5日发布的2026年2月通报予以更正，原通报作废。更正原因：西村问题数填报有误");
    expect((await b.db.circular.findMany({ orderBy: { seq: "asc" } })).map((c) => [c.seq, c.reason])).toEqual([
      [1, null],
      [2, "西村问题数填报有误"],
    ]);
    await b.close();
  });

  it("the full ledger only to a `circular: full` group; a plain circular group gets text and chart", async () => {
    const cfg = example();
    cfg.rooms.push({ name: "领导小组群", circular: "full" });
    const b = await february(cfg);
    await b.say("shuji", "/帮助", "领导小组群");
    await b.at("2026-03-05T09:30:00+08:00");
    const pub = await b.say("ban1", "/通报 发布 2026-02");
    const by = (room: string) => [...new Set(pub.filter((o) => o.room === room).map((o) => (o.text ? "text" : o.file!.replace(/-青山镇.*/, "").replace(/^\d+-/, ""))))];
    expect(by("作风整顿工作群")).toEqual(["text", "通报图表-2026-02"]);
    expect(by("领导小组群")).toEqual(["text", "通报图表-2026-02", "通报附件-问题台账"]);
    expect(by("东村工作群")).toEqual(["text", "通报图表-2026-02", "通报附件-问题台账"]);
    expect(pub.find((o) => o.room === "东村工作群" && o.file?.endsWith(".xlsx"))!.file).toContain("-东村-");
    expect(pub.find((o) => o.room === "领导小组群" && o.file?.endsWith(".xlsx"))!.file).not.toMatch(/-东村-|-河坝社区-/);
    await b.close();
  });

  it("circularReview: false publishes on the circular day at 10:00", async () => {
    const cfg = example();
    cfg.schedule.circularReview = false;
    const b = await february(cfg);
    await b.at("2026-03-04T11:00:00+08:00");
    const circ = b.out.filter((o) => o.text?.startsWith(TITLE));
    expect(circ.map((o) => [o.at, o.room])).toEqual(ROOMS.map((r) => ["2026-03-04T10:00:00+08:00", r]));
    // the 督办员 and 领导 get the full ledger privately
    expect(b.out.filter((o) => o.to === "ban1" && o.file?.endsWith(".xlsx")).length).toBe(1);
    expect(await b.db.circular.count({ where: { month: "2026-02", seq: 1, publishedBy: null } })).toBe(1);
    expect((await b.say("ban1", "/通报 发布 2026-02"))[0].text).toMatch(/已于3月4日发布/);
    await b.close();
  });
});

describe("never lost", () => {
  it("a circular day missed while the bot was down: drafted when it next runs outside quiet hours, once", async () => {
    const b = await february();
    await b.at("2026-03-03T18:00:00+08:00");
    await b.sim.stop();
    await b.at("2026-03-09T22:00:00+08:00");
    await b.sim.start(); // quiet hours: nothing yet
    await b.at("2026-03-10T07:59:00+08:00");
    expect(b.out.filter((o) => o.text?.startsWith("【通报草稿"))).toEqual([]);
    await b.at("2026-03-10T12:00:00+08:00");
    const drafts = b.out.filter((o) => o.text?.startsWith("【通报草稿"));
    expect(drafts.map((o) => [o.at, o.to])).toEqual(REVIEWERS.map((id) => ["2026-03-10T08:00:00+08:00", id]));
    await b.sim.stop();
    await b.sim.start();
    await b.at("2026-03-12T12:00:00+08:00");
    expect(b.out.filter((o) => o.text?.startsWith("【通报草稿")).length).toBe(REVIEWERS.length);
    await b.close();
  });
});

describe("the chart", () => {
  it("renders off the event loop to the same PNG", async () => {
    const data = {
      title: "青山镇2026年2月干部作风整顿工作情况",
      units: [
        { name: "东村", completion: 1, light: "绿" as const },
        { name: "南山村", completion: null, light: "绿" as const },
        { name: "西村", completion: 0, light: "红" as const },
      ],
      months: [{ month: "2026-02", created: 6, closed: 1 }],
    };
    expect((await chartPngAsync(data)).equals(chartPng(data))).toBe(true);
  });
});

