// The statistics paragraph of a 工作总结 (seeds 000/002/003 leave it as "X个 / XX%"): every figure is
// counted from the data, and a figure the data cannot support is left out rather than invented.
import type { Config } from "../config/schema.ts";
import type { Reader } from "../db/client.ts";
import type { Calendar, Ymd } from "../domain/calendar.ts";
import { fmtDate } from "../domain/calendar.ts";
import { orgScope } from "../domain/org.ts";
import { pct, unitFigures } from "../jobs/stats.ts";

export interface SummaryFigures {
  total: number;
  byCategory: { code: string; name: string; special: boolean; count: number }[];
  uncategorized: number;
  measures: number;
  closed: number;
  overdue: number;
  returned: number;
  extended: number;
  longTerm: number;
  anonymous: number;
  unitsAllClosed: string[];
  unitsOverdue: string[];
  unitsWithItems: number;
}

export async function summaryFigures(tx: Reader, cfg: Config, cal: Calendar, today: Ymd): Promise<SummaryFigures> {
  const campaign = cfg.campaign.name;
  const item = { campaign };
  const [total, byCat, measures, closed, overdue, returned, extended, longTerm, anonymous, figures] = await Promise.all([
    tx.item.count({ where: item }),
    tx.item.groupBy({ by: ["category"], where: item, _count: { _all: true } }),
    tx.item.count({ where: { ...item, measures: { not: null } } }),
    tx.item.count({ where: { ...item, status: "已销号" } }),
    tx.item.count({ where: { ...item, status: { not: "已销号" }, deadline: { lt: today } } }),
    tx.event.count({ where: { kind: "退回", item } }),
    tx.extensionRequest.count({ where: { status: "已同意", item } }),
    tx.item.count({ where: { ...item, longTerm: true } }),
    tx.item.count({ where: { ...item, anonymous: true } }),
    unitFigures(tx, cfg, cal, today),
  ]);
  const cat = new Map(byCat.map((r) => [r.category, r._count._all]));
  return {
    total,
    byCategory: cfg.campaign.categories.map((c) => ({ code: c.code, name: c.name, special: c.special, count: cat.get(c.code) ?? 0 })),
    uncategorized: cat.get(null) ?? 0,
    measures,
    closed,
    overdue,
    returned,
    extended,
    longTerm,
    anonymous,
    unitsAllClosed: figures.filter((f) => f.total > 0 && f.closed === f.total).map((f) => f.unit),
    unitsOverdue: figures.filter((f) => f.overdue > 0).map((f) => f.unit),
    unitsWithItems: figures.filter((f) => f.total > 0).length,
  };
}

export function summaryText(f: SummaryFigures, cfg: Config, today: Ymd): string {
  if (f.total === 0) return `截至${fmtDate(today)}，${cfg.campaign.name}尚未登记问题，暂无可统计的数据。`;
  const parts: string[] = [];
  const focus = f.byCategory.filter((c) => !c.special && c.count > 0).map((c) => `${c.code}方面${c.count}个`);
  const special = f.byCategory.filter((c) => c.special && c.count > 0).map((c) => `${c.code}${c.count}个`);
  const within = [...focus, ...(special.length ? [`专项治理中${special.join("、")}`] : []), ...(f.uncategorized ? [`其他${f.uncategorized}个`] : [])];
  parts.push(`截至${fmtDate(today)}，${orgScope(cfg.org)}共查摆问题${f.total}个${within.length ? `（其中${within.join("，")}）` : ""}`);
  if (f.anonymous) parts.push(`其中群众匿名反映${f.anonymous}个`);
  if (f.measures) parts.push(`制定整改措施${f.measures}条`);
  parts.push(`已整改销号${f.closed}个，整改完成率${pct(f.closed / f.total)}`);
  if (f.longTerm) parts.push(`列为长期整改、分节点推进${f.longTerm}个`);
  parts.push(f.overdue ? `逾期未销号${f.overdue}个` : `无逾期未销号问题`);
  if (f.returned) parts.push(`整改不到位退回重整${f.returned}次`);
  if (f.extended) parts.push(`经批准延期${f.extended}次`);
  let text = parts.join("，") + "。";
  const units: string[] = [];
  if (f.unitsAllClosed.length) units.push(`${f.unitsAllClosed.join("、")}等${f.unitsAllClosed.length}个单位问题已全部整改销号`);
  if (f.unitsOverdue.length) units.push(`${f.unitsOverdue.join("、")}等${f.unitsOverdue.length}个单位尚有逾期问题，需持续跟踪督办`);
  if (units.length) text += `从各单位看，涉及问题的${f.unitsWithItems}个单位中，${units.join("；")}。`;
  return text;
}
