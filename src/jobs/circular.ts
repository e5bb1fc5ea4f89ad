// The monthly circular (一月一督查、一月一通报): overall figures, every unit ranked 红/黄/绿, the
// overdue items named (亮相揭丑), the best units (选树先进), next steps. Deterministic: the same data
// gives the same text. Sent automatically on the configured workday of the next month at 10:00, or at
// once by /通报; once per month either way.
import type { Config } from "../config/schema.ts";
import type { Reader, Tx } from "../db/client.ts";
import { fmtDate, type Calendar, type Ymd } from "../domain/calendar.ts";
import type { Org } from "../domain/org.ts";
import { clip } from "../core/text.ts";
import { pct, rank, unitFigures } from "./stats.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Outgoing } from "../core/outbox.ts";
import { exportName } from "../reports/names.ts";
import type { Job } from "./types.ts";

const NAMED = 20;

export function previousMonth(ymd: Ymd): string {
  const y = +ymd.slice(0, 4);
  const m = +ymd.slice(5, 7);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

function nextMonthStart(month: string): Ymd {
  const y = +month.slice(0, 4);
  const m = +month.slice(5, 7);
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
}

/** The circular's text and the unit ranking it was made from (the chart draws the same ranking). */
export async function buildCircular(tx: Reader, cfg: Config, cal: Calendar, month: string, today: Ymd): Promise<{ text: string; ranked: ReturnType<typeof rank> }> {
  const campaign = cfg.campaign.name;
  const from = cal.instant(`${month}-01`);
  const to = cal.instant(nextMonthStart(month));
  const [y, m] = [+month.slice(0, 4), +month.slice(5, 7)];
  const [created, cumulative, closedMonth, closedCum, overdueItems, withUnassigned, closedByUnit] = await Promise.all([
    tx.item.count({ where: { campaign, createdAt: { gte: from, lt: to } } }),
    tx.item.count({ where: { campaign, createdAt: { lt: to } } }),
    tx.item.count({ where: { campaign, closedAt: { gte: from, lt: to } } }),
    tx.item.count({ where: { campaign, createdAt: { lt: to }, closedAt: { lt: to } } }),
    // the most overdue first: days overdue only grow with an earlier deadline
    tx.item.findMany({ where: { campaign, status: { not: "已销号" }, deadline: { lt: today } }, select: { no: true, title: true, unitName: true, deadline: true }, orderBy: [{ deadline: "asc" }, { no: "asc" }], take: NAMED }),
    // the configured units, then the 未交办 bucket (counted among the overdue, not ranked)
    unitFigures(tx, cfg, cal, today, { unassigned: true }),
    tx.item.groupBy({ by: ["unitName"], where: { campaign, closedAt: { gte: from, lt: to } }, _count: { _all: true } }),
  ]);
  const overdueCount = withUnassigned.reduce((n, f) => n + f.overdue, 0);
  const figures = withUnassigned.slice(0, cfg.units.length);
  const monthClosed = new Map(closedByUnit.map((r) => [r.unitName, r._count._all]));
  const overdue = overdueItems.map((i) => ({ ...i, by: cal.workdaysBetween(i.deadline!, today) }));
  const ranked = rank(figures);

  const L: string[] = [];
  L.push(`关于${cfg.org}${y}年${m}月${cfg.campaign.name.replace(/^\d{4}年/, "")}工作情况的通报`);
  L.push("");
  L.push("各村（社区）、镇属各部门：");
  L.push(`　　现将${y}年${m}月${cfg.campaign.name.replace(/^\d{4}年/, "")}问题整改情况通报如下。`);
  L.push("一、总体情况");
  L.push(
    `　　本月新增问题${created}个，累计查摆问题${cumulative}个；本月销号${closedMonth}个，累计销号${closedCum}个` +
      (cumulative ? `，整改完成率${pct(closedCum / cumulative)}` : "") +
      `；截至${fmtDate(today)}，逾期未销号问题${overdueCount}个。`,
  );
  L.push("二、各单位整改情况（按整改成效排序）");
  ranked.forEach((f, i) =>
    L.push(`　　${i + 1}. ${f.unit}【${f.light}】问题${f.total}个，已销号${f.closed}个，完成率${f.total ? pct(f.completion) : "—"}，逾期${f.overdue}个`),
  );
  L.push("　　（绿：无逾期且完成率达" + pct(cfg.status.greenCompletion) + "；黄：有问题" + cfg.status.yellowDueWithinWorkdays + "个工作日内到期或完成率不足；红：有逾期问题）");
  L.push("三、亮相揭丑");
  if (overdue.length) {
    L.push(`　　以下问题已超过整改时限仍未销号，予以通报：`);
    for (const i of overdue.slice(0, NAMED)) L.push(`　　#${i.no} ${i.unitName ?? "未交办"}：${clip(i.title, 40)}，逾期${i.by}个工作日`);
    if (overdueCount > overdue.length) L.push(`　　另有${overdueCount - overdue.length}个逾期问题，详见问题清单。`);
  } else L.push("　　本期无逾期未销号问题。");
  const best = ranked.filter((f) => f.light === "绿" && (monthClosed.get(f.unit) ?? 0) > 0).sort((a, b) => (monthClosed.get(b.unit) ?? 0) - (monthClosed.get(a.unit) ?? 0)).slice(0, 3);
  L.push("四、选树先进");
  if (best.length) L.push(`　　${best.map((f) => `${f.unit}（本月销号${monthClosed.get(f.unit)}个）`).join("、")}整改及时、成效明显，予以通报表扬。`);
  else L.push("　　本期暂无。");
  L.push("五、下步工作");
  const red = ranked.filter((f) => f.light === "红").map((f) => f.unit);
  L.push(
    `　　各村（社区）、各部门要对照问题清单逐项整改，确保按时限销号。` +
      (red.length ? `${red.join("、")}要专题研究逾期问题，限期整改到位；` : "") +
      `经多次督办仍未落实的，镇作风整顿办将会同镇纪委督查问效。`,
  );
  L.push("");
  L.push(`${cfg.org}干部作风整顿工作领导小组办公室`);
  L.push(fmtDate(today));
  return { text: L.join("\n"), ranked };
}

/** Month by month since the campaign started: problems reported and closed. */
export async function monthlyTrend(tx: Reader, cfg: Config, cal: Calendar, upto: string): Promise<{ month: string; created: number; closed: number }[]> {
  const out = [];
  for (let m = cfg.campaign.start.slice(0, 7); m <= upto; m = nextMonthStart(m).slice(0, 7)) {
    const from = cal.instant(`${m}-01`);
    const to = cal.instant(nextMonthStart(m));
    const [created, closed] = await Promise.all([
      tx.item.count({ where: { campaign: cfg.campaign.name, createdAt: { gte: from, lt: to } } }),
      tx.item.count({ where: { campaign: cfg.campaign.name, closedAt: { gte: from, lt: to } } }),
    ]);
    out.push({ month: m, created, closed });
  }
  return out;
}

/**
 * The circular for `month` to every circular group and every unit group: first the text to every group,
 * then its chart (PNG) and the ledger (.xlsx). Read from `read` (a snapshot); returns the rows to queue.
 */
export async function planCircular(read: Reader, cfg: Config, org: Org, cal: Calendar, month: string, now: Date, filesDir: string): Promise<Outgoing[]> {
  const { text, ranked } = await buildCircular(read, cfg, cal, month, cal.today(now));
  const rooms = (await read.room.findMany({ where: { OR: [{ circular: true }, { unitName: { not: null } }] }, orderBy: { id: "asc" }, select: { id: true } })).map((r) => r.id);
  const out: Outgoing[] = rooms.map((id) => ({ target: { kind: "room" as const, id }, text, dispatchKey: `circular:room:${id}:${month}` }));
  if (!rooms.length) return out;
  const [y, m] = [+month.slice(0, 4), +month.slice(5, 7)];
  mkdirSync(filesDir, { recursive: true });
  // echarts, resvg and exceljs are loaded on first use: a bot that only reminds never pays for them
  const [{ chartPng }, { writeLedger }] = await Promise.all([import("../reports/chart.ts"), import("../reports/ledger.ts")]);
  const chart = path.join(filesDir, exportName(cfg, cal, now, `通报图表-${month}`, undefined, "png"));
  writeFileSync(
    chart,
    chartPng({
      title: `${cfg.org}${y}年${m}月干部作风整顿工作情况`,
      units: ranked.map((f) => ({ name: f.unit, completion: f.completion, light: f.light })),
      months: await monthlyTrend(read, cfg, cal, month),
    }),
  );
  const ledger = path.join(filesDir, exportName(cfg, cal, now, `台账-${month}通报附件`));
  await writeLedger(read as Tx, cfg, org, cal, { file: ledger, now });
  for (const id of rooms) out.push({ target: { kind: "room", id }, file: chart, dispatchKey: `circular-chart:room:${id}:${month}` });
  for (const id of rooms) out.push({ target: { kind: "room", id }, file: ledger, dispatchKey: `circular-ledger:room:${id}:${month}` });
  return out;
}

export const circularJob: Job = {
  name: "circular",
  slotsOn(ymd, cfg, cal) {
    return cal.nthWorkdayOfMonth(ymd, cfg.schedule.monthlyCircularWorkday) === ymd ? [{ at: cal.instant(ymd, "10:00"), period: previousMonth(ymd) }] : [];
  },
  build: async (j, month) => ({ rows: await planCircular(j.read, j.cfg, j.org, j.cal, month, j.now, j.filesDir) }),
};
