// The monthly circular (一月一督查、一月一通报): overall figures, every unit ranked 红/黄/绿, the overdue items
// named (亮相揭丑), the best units (选树先进), next steps, a chart and the ledger.
//
// Every figure is as of the end of the month (its last instant in the campaign's timezone), rebuilt from
// the items' event timeline: the same month gives the same figures whenever it is drafted. Nothing
// reported later is in it.
//
// Review before publishing (schedule.circularReview, default true): on the circular day (the configured
// workday of the next month, 10:00) the draft goes privately to every 督办员 and 领导 with how to publish
// it (/通报 发布 YYYY-MM); they are reminded each workday at 09:00 while it is unpublished. Without review
// the schedule publishes it directly. A circular day missed while the bot was down is made up the next
// time it runs outside quiet hours. A month is published once (a Circular row, seq 1, written with the
// outbox rows); /通报 更正 publishes a marked correction (seq 2, 3 …). Published circulars are kept as
// they went out.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/schema.ts";
import type { Reader, Tx } from "../db/client.ts";
import { fmtDate, type Calendar, type Ymd } from "../domain/calendar.ts";
import { orgLevel, orgScope, type Org } from "../domain/org.ts";
import { ANONYMOUS_TITLE } from "../domain/visibility.ts";
import { clip } from "../core/text.ts";
import type { Outgoing } from "../core/outbox.ts";
import { join, raw, sql } from "../db/sql.ts";
import { exportName } from "../reports/names.ts";
import { figuresAt, pct, ranked as split, statusRules, type UnitFigures } from "./stats.ts";
import type { Job } from "./types.ts";

const NAMED = 20;

export function previousMonth(ymd: Ymd): string {
  const y = +ymd.slice(0, 4);
  const m = +ymd.slice(5, 7);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

export function nextMonthStart(month: string): Ymd {
  const y = +month.slice(0, 4);
  const m = +month.slice(5, 7);
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
}

/** "2026年2月" */
export const monthName = (month: string) => `${+month.slice(0, 4)}年${+month.slice(5, 7)}月`;

/** The month's last instant (= the next month's first) and its last day. */
export function monthEnd(cal: Calendar, month: string): { end: Date; day: Ymd } {
  return { end: cal.instant(nextMonthStart(month)), day: cal.lastDayOfMonth(`${month}-01`) };
}

/** "2026年2月28日24时": the instant the figures are taken at, as the text states it. */
export function asOfText(cal: Calendar, month: string): string {
  return `${fmtDate(monthEnd(cal, month).day)}24时`;
}

/** The campaign's months, first to last. */
export function campaignMonths(cfg: Config): string[] {
  const out: string[] = [];
  for (let m = cfg.campaign.start.slice(0, 7); m <= cfg.campaign.end.slice(0, 7); m = nextMonthStart(m).slice(0, 7)) out.push(m);
  return out;
}

/** The month's circular day: the configured workday of the next month. */
export function circularDay(cfg: Config, cal: Calendar, month: string): Ymd {
  return cal.nthWorkdayOfMonth(nextMonthStart(month), cfg.schedule.monthlyCircularWorkday);
}

/** Why `month` can have no circular at `now` (outside the campaign, not ended yet); null when it can. */
export function refuseMonth(cfg: Config, cal: Calendar, month: string, now: Date): string | null {
  const months = campaignMonths(cfg);
  if (!months.includes(month))
    return `${monthName(month)}不在${cfg.campaign.name}期间（${monthName(months[0])}至${monthName(months[months.length - 1])}），没有该月通报`;
  if (now.getTime() < monthEnd(cal, month).end.getTime()) return `${monthName(month)}尚未结束，不能通报：月度通报反映整月情况，次月可查看和发布`;
  return null;
}

/** Who reviews and publishes: every 督办员 and 领导, in the config's order. */
export const reviewers = (cfg: Config) => cfg.members.filter((m) => m.roles.includes("督办员") || m.roles.includes("领导"));

export interface CircularFigures {
  text: string;
  /** units with items, best first (the chart draws the same ranking) */
  ranked: UnitFigures[];
  /** units without any item (无问题), listed apart */
  none: UnitFigures[];
  /** items without a unit as of then (未交办) */
  unassigned: UnitFigures;
  totals: { cumulative: number; created: number; closedMonth: number; closed: number; overdue: number; excused: number; due: number; onTime: number };
  months: { month: string; created: number; closed: number }[];
}

/** Created and closed per month, from the campaign's first month up to `upto`, in one pass. */
export async function monthlyTrend(read: Reader, cfg: Config, cal: Calendar, upto: string): Promise<{ month: string; created: number; closed: number }[]> {
  const months = campaignMonths(cfg).filter((m) => m <= upto);
  if (!months.length) return [];
  const cols = months.map((m, i) => {
    const [from, to] = [cal.instant(`${m}-01`), cal.instant(nextMonthStart(m))];
    return sql`COUNT(CASE WHEN "createdAt" >= ${from} AND "createdAt" < ${to} THEN 1 END) AS ${raw(`"c${i}"`)}, COUNT(CASE WHEN "closedAt" >= ${from} AND "closedAt" < ${to} THEN 1 END) AS ${raw(`"k${i}"`)}`;
  });
  const [r] = await read.$queryRaw<Record<string, number | bigint>[]>`SELECT ${join(cols)} FROM "Item" WHERE "campaign" = ${cfg.campaign.name}`;
  return months.map((month, i) => ({ month, created: Number(r[`c${i}`] ?? 0), closed: Number(r[`k${i}`] ?? 0) }));
}

/**
 * The circular's text and figures for `month`, as of its end. `today` is the date it is signed. A
 * correction (seq ≥ 2) is titled （更正） and says why.
 */
export async function buildCircular(
  read: Reader,
  cfg: Config,
  cal: Calendar,
  month: string,
  today: Ymd,
  o: { correction?: { reason: string; of?: Ymd } } = {},
): Promise<CircularFigures> {
  const { end, day } = monthEnd(cal, month);
  const from = cal.instant(`${month}-01`);
  const [{ units, named, namedTotal }, months] = await Promise.all([
    figuresAt(read, cfg, cal, { kind: "asOf", end, day, from }, { unassigned: true, named: NAMED }),
    monthlyTrend(read, cfg, cal, month),
  ]);
  const configured = new Set(cfg.units.map((u) => u.name));
  const unassigned = units.find((f) => f.unit === "未交办" && !configured.has("未交办"))!;
  const { ranked, none } = split(units.filter((f) => f !== unassigned));
  const sum = (k: "total" | "closed" | "overdue" | "excused" | "due" | "onTime" | "closedIn") => units.reduce((n, f) => n + (f[k] ?? 0), 0);
  const thisMonth = months[months.length - 1] ?? { created: 0, closed: 0 };
  const totals = {
    cumulative: sum("total"),
    created: thisMonth.created,
    closedMonth: sum("closedIn"),
    closed: sum("closed"),
    overdue: sum("overdue"),
    excused: sum("excused"),
    due: sum("due"),
    onTime: sum("onTime"),
  };
  if (namedTotal !== totals.overdue) throw new Error(`circular ${month}: overdue ${totals.overdue} ≠ named ${namedTotal}`);
  const at = asOfText(cal, month);
  const period = `${monthName(month)}${cfg.campaign.name.replace(/^\d{4}年/, "")}`;

  const L: string[] = [];
  L.push(`关于${cfg.org}${period}工作情况的通报${o.correction ? "（更正）" : ""}`);
  L.push("");
  if (o.correction) L.push(`　　本通报对${o.correction.of ? fmtDate(o.correction.of, today) : "此前"}发布的${monthName(month)}通报予以更正，原通报作废。更正原因：${o.correction.reason}`);
  const level = orgLevel(cfg.org);
  L.push(`各村（社区）、${level === "街道" ? "街道" : level ? level + "属" : ""}各部门：`);
  L.push(`　　现将${period}问题整改情况通报如下（数据截至${at}）。`);
  L.push("一、总体情况");
  L.push(
    `　　本月新增问题${totals.created}个，累计查摆问题${totals.cumulative}个；本月销号${totals.closedMonth}个，累计销号${totals.closed}个` +
      (totals.due ? `，按期完成率${pct(totals.onTime / totals.due)}` : "") +
      `；截至${at}，逾期未销号问题${totals.overdue}个` +
      (totals.excused ? `，延期申请待审批${totals.excused}个` : "") +
      (unassigned.total ? `，尚未交办${unassigned.total}个` : "") +
      "。",
  );
  L.push("二、各单位整改情况（按整改成效排序）");
  if (!ranked.length) L.push("　　本月各单位暂无问题。");
  ranked.forEach((f, i) =>
    L.push(
      `　　${i + 1}. ${f.unit}【${f.light}】问题${f.total}个，已销号${f.closed}个，按期完成率${f.completion === null ? "—（尚无到期问题）" : pct(f.completion)}，逾期${f.overdue}个` +
        (f.excused ? `，延期待批${f.excused}个` : ""),
    ),
  );
  if (unassigned.total) L.push(`　　未交办问题${unassigned.total}个（待${cfg.office.short}交办，不参与排名）`);
  if (none.length) L.push(`　　无问题：${none.map((f) => f.unit).join("、")}（不参与排名）`);
  L.push(`　　（${statusRules(cfg)}）`);
  L.push("三、亮相揭丑");
  if (named.length) {
    L.push(`　　以下问题截至${at}已超过整改时限仍未销号，予以通报：`);
    for (const i of named)
      L.push(`　　#${i.no} ${i.unitName ?? "未交办"}：${i.anonymous ? ANONYMOUS_TITLE : clip(i.title, 40)}，截止${fmtDate(i.deadline, day)}，${i.by > 0 ? `逾期${i.by}个工作日` : "到期未销号"}`);
    if (totals.overdue > named.length) L.push(`　　另有${totals.overdue - named.length}个逾期问题，详见问题清单。`);
  } else L.push("　　本期无逾期未销号问题。");
  const best = ranked.filter((f) => f.light === "绿" && (f.closedIn ?? 0) > 0).sort((a, b) => (b.closedIn ?? 0) - (a.closedIn ?? 0)).slice(0, 3);
  L.push("四、选树先进");
  if (best.length) L.push(`　　${best.map((f) => `${f.unit}（本月销号${f.closedIn}个）`).join("、")}整改及时、成效明显，予以通报表扬。`);
  else L.push("　　本期暂无。");
  L.push("五、下步工作");
  const red = ranked.filter((f) => f.light === "红").map((f) => f.unit);
  L.push(
    `　　各村（社区）、各部门要对照问题清单逐项整改，确保按时限销号。` +
      (red.length ? `${red.join("、")}要专题研究逾期问题，限期整改到位；` : "") +
      `经多次督办仍未落实的，${cfg.office.short}将会同${level === "街道" ? "街道纪工委" : level + "纪委"}督查问效。`,
  );
  L.push("");
  L.push(cfg.office.name);
  L.push(fmtDate(today));
  return { text: L.join("\n"), ranked, none, unassigned, totals, months };
}

/** The published circulars of a month (seq 1 = the publication, 2 … = corrections), oldest first. */
export async function published(read: Reader, month: string): Promise<{ seq: number; publishedAt: Date }[]> {
  return read.circular.findMany({ where: { month }, orderBy: { seq: "asc" }, select: { seq: true, publishedAt: true } });
}

interface RoomRow {
  id: string;
  topic: string;
  unitName: string | null;
  circular: boolean;
  circularFull: boolean;
}

/** The groups a circular goes to: circular groups and unit groups, with which ledger each gets. */
async function circularRooms(read: Reader, cfg: Config): Promise<RoomRow[]> {
  // a group named `circular: full` in the config is one even before the database has caught up
  const full = new Set(cfg.rooms.filter((r) => r.circular === "full").map((r) => r.name));
  const rooms = await read.room.findMany({
    where: { OR: [{ circular: true }, { circularFull: true }, { unitName: { not: null } }] },
    orderBy: { id: "asc" },
    select: { id: true, topic: true, unitName: true, circular: true, circularFull: true },
  });
  return rooms.map((r) => ({ ...r, circularFull: r.circularFull || full.has(r.topic) }));
}

/** Which ledger a group gets (SPEC §1): full for `circular: full`, its own unit's for a unit group, else none. */
const ledgerFor = (r: RoomRow): "office" | "unit" | null => (r.circularFull ? "office" : r.unitName ? "unit" : null);

/** "作风整顿工作群、东村工作群等12个群" */
function roomList(rooms: RoomRow[], max = 10): string {
  const names = rooms.slice(0, max).map((r) => r.topic || r.id);
  return rooms.length > max ? `${names.join("、")}等${rooms.length}个群` : names.join("、");
}

async function writeChart(cfg: Config, cal: Calendar, c: CircularFigures, month: string, now: Date, filesDir: string): Promise<string> {
  const { chartPngAsync } = await import("../reports/chart.ts"); // echarts and resvg on first use
  const file = path.join(filesDir, exportName(cfg, cal, now, `通报图表-${month}`, undefined, "png"));
  mkdirSync(filesDir, { recursive: true });
  const png = await chartPngAsync({
    title: `${cfg.org}${monthName(month)}干部作风整顿工作情况（截至${asOfText(cal, month)}）`,
    units: c.ranked.map((f) => ({ name: f.unit, completion: f.completion, light: f.light })),
    months: c.months,
  });
  writeFileSync(file, png);
  return file;
}

async function writeLedgerFile(read: Reader, cfg: Config, org: Org, cal: Calendar, now: Date, filesDir: string, unit?: string): Promise<string> {
  const { writeLedger } = await import("../reports/ledger.ts"); // exceljs on first use
  const file = path.join(filesDir, exportName(cfg, cal, now, "通报附件-问题台账", unit));
  await writeLedger(read, cfg, org, cal, unit ? { file, now, unit, audience: "unit" } : { file, now, audience: "office" });
  return file;
}

export interface DraftPlan {
  figures: CircularFigures;
  /** the groups it would go to (when published) */
  rooms: RoomRow[];
  chart: string;
  ledger: string;
  /** what the reviewers are told before the text: how to publish, where it would go */
  header: string;
}

/** The draft for review (text, chart, full ledger, where it would go), from the snapshot `read`. */
export async function planDraft(read: Reader, cfg: Config, org: Org, cal: Calendar, month: string, now: Date, filesDir: string): Promise<DraftPlan> {
  const today = cal.today(now);
  const [figures, rooms, done] = await Promise.all([buildCircular(read, cfg, cal, month, today), circularRooms(read, cfg), published(read, month)]);
  const chart = await writeChart(cfg, cal, figures, month, now, filesDir);
  const ledger = await writeLedgerFile(read, cfg, org, cal, now, filesDir);
  const units = rooms.filter((r) => ledgerFor(r) === "unit").length;
  const full = rooms.filter((r) => ledgerFor(r) === "office").length;
  const where = rooms.length
    ? `发布后发往${roomList(rooms)}（正文和图表${units ? `；${units}个单位群各附本单位台账` : ""}${full ? `；${full}个领导群附${orgScope(cfg.org)}台账` : ""}）。`
    : `目前没有通报群或单位工作群可发：请在配置 rooms 中设置 circular: true，或在单位群里 /绑定。`;
  const status = done.length
    ? `该月通报已于${fmtDate(cal.today(done[0].publishedAt), today)}发布${done.length > 1 ? `，并更正${done.length - 1}次` : ""}；如需更正，发送 /通报 更正 ${month} 更正原因`
    : `核对无误后发送 /通报 发布 ${month} 即正式发布`;
  const header = [`【通报草稿·待审核】${monthName(month)}通报（数据截至${asOfText(cal, month)}），附图表和${orgScope(cfg.org)}问题台账（仅限督办员、领导）。`, status + "。", where].join("\n");
  return { figures, rooms, chart, ledger, header };
}

/** The draft as private messages to `to`: the header, the text (as the groups would get it), the chart, the full ledger. */
export function draftRows(d: DraftPlan, to: string[], key?: string): Outgoing[] {
  const rows: Outgoing[] = [];
  for (const id of to) {
    const k = (kind: string) => (key ? { dispatchKey: `${kind}:contact:${id}:${key}` } : {});
    rows.push({ target: { kind: "contact", id }, text: d.header, ...k("circular-draft") });
    rows.push({ target: { kind: "contact", id }, text: d.figures.text, ...k("circular-draft-text") });
    rows.push({ target: { kind: "contact", id }, file: d.chart, ...k("circular-draft-chart") });
    rows.push({ target: { kind: "contact", id }, file: d.ledger, ...k("circular-draft-ledger") });
  }
  return rows;
}

export interface PublishPlan {
  month: string;
  seq: number;
  text: string;
  reason: string | null;
  rows: Outgoing[];
  /** groups that get the text */
  groups: number;
}

/**
 * The publication (seq 1) or a correction (seq ≥ 2) of `month`: the text and chart to every circular
 * group and unit group, the full ledger to `circular: full` groups (and, `officeLedger`, privately to the
 * 督办员 and 领导), each unit group its own unit's ledger. Read from the snapshot `read`.
 */
export async function planPublish(
  read: Reader,
  cfg: Config,
  org: Org,
  cal: Calendar,
  month: string,
  now: Date,
  filesDir: string,
  o: { seq: number; reason?: string; officeLedger?: boolean },
): Promise<PublishPlan> {
  const today = cal.today(now);
  const first = o.seq > 1 ? (await published(read, month))[0] : undefined;
  const correction = o.seq > 1 ? { reason: o.reason ?? "", of: first ? cal.today(first.publishedAt) : undefined } : undefined;
  const [figures, rooms] = await Promise.all([buildCircular(read, cfg, cal, month, today, { correction }), circularRooms(read, cfg)]);
  const tag = o.seq > 1 ? `${month}#${o.seq}` : month;
  const rows: Outgoing[] = rooms.map((r) => ({ target: { kind: "room" as const, id: r.id }, text: figures.text, dispatchKey: `circular:room:${r.id}:${tag}` }));
  const offices = o.officeLedger ? reviewers(cfg).map((m) => m.id) : [];
  if (rooms.length || offices.length) {
    const chart = rooms.length ? await writeChart(cfg, cal, figures, month, now, filesDir) : null;
    for (const r of rooms) rows.push({ target: { kind: "room", id: r.id }, file: chart!, dispatchKey: `circular-chart:room:${r.id}:${tag}` });
    const needFull = offices.length > 0 || rooms.some((r) => ledgerFor(r) === "office");
    const full = needFull ? await writeLedgerFile(read, cfg, org, cal, now, filesDir) : null;
    const perUnit = new Map<string, string>();
    for (const r of rooms) {
      const which = ledgerFor(r);
      if (!which) continue;
      let file = full!;
      if (which === "unit") {
        if (!perUnit.has(r.unitName!)) perUnit.set(r.unitName!, await writeLedgerFile(read, cfg, org, cal, now, filesDir, r.unitName!));
        file = perUnit.get(r.unitName!)!;
      }
      rows.push({ target: { kind: "room", id: r.id }, file, dispatchKey: `circular-ledger:room:${r.id}:${tag}` });
    }
    for (const id of offices) {
      rows.push({ target: { kind: "contact", id }, text: `${monthName(month)}通报已发布，${orgScope(cfg.org)}问题台账见下方文件（仅限督办员、领导）。`, dispatchKey: `circular-office:contact:${id}:${tag}` });
      rows.push({ target: { kind: "contact", id }, file: full!, dispatchKey: `circular-ledger:contact:${id}:${tag}` });
    }
  }
  return { month, seq: o.seq, text: figures.text, reason: o.reason ?? null, rows, groups: rooms.length };
}

/** Record a publication (in the transaction that queues its rows): a second one for the same seq fails. */
export async function recordPublication(tx: Tx, p: PublishPlan, now: Date, by: string | null): Promise<void> {
  await tx.circular.create({ data: { month: p.month, seq: p.seq, text: p.text, reason: p.reason, publishedAt: now, publishedBy: by } });
}

/**
 * The circular of each ended campaign month: on its circular day at 10:00; a circular day that passed
 * while the bot was down is made up on any later day from the end of quiet hours (the JobRun row makes
 * each happen once).
 */
export const circularJob: Job = {
  name: "circular",
  slotsOn(ymd, cfg, cal) {
    const slots = [];
    for (const month of campaignMonths(cfg)) {
      if (nextMonthStart(month) > ymd) break;
      const day = circularDay(cfg, cal, month);
      if (day === ymd) slots.push({ at: cal.instant(ymd, "10:00"), period: month });
      else if (day < ymd) slots.push({ at: cal.instant(ymd, cfg.reminders.quiet[1]), period: month });
    }
    return slots;
  },
  async build(j, month) {
    // published early by /通报 发布: nothing to draft or publish
    if ((await published(j.read, month)).length) return { rows: [] };
    // nothing reported by the month's end (the bot was not in use yet): no circular of empty tables
    // (one can still be drafted and published by command)
    const any = await j.read.item.findFirst({ where: { campaign: j.cfg.campaign.name, createdAt: { lt: monthEnd(j.cal, month).end } }, select: { id: true } });
    if (!any) return { rows: [] };
    if (j.cfg.schedule.circularReview) {
      const d = await planDraft(j.read, j.cfg, j.org, j.cal, month, j.now, j.filesDir);
      return { rows: draftRows(d, reviewers(j.cfg).map((m) => m.id), month) };
    }
    const p = await planPublish(j.read, j.cfg, j.org, j.cal, month, j.now, j.filesDir, { seq: 1, officeLedger: true });
    return { rows: p.rows, write: (tx) => recordPublication(tx, p, j.now, null) };
  },
};

/**
 * Each workday at 09:00, while a reviewed draft is unpublished: remind every 督办员 and 领导 how to publish
 * it. (Only with circularReview; a month counts as drafted once its draft was queued to them.)
 */
export const circularReviewJob: Job = {
  name: "circular-review",
  slotsOn(ymd, cfg, cal) {
    if (!cfg.schedule.circularReview || !cal.isWorkday(ymd)) return [];
    const first = campaignMonths(cfg)[0];
    if (!first || ymd <= circularDay(cfg, cal, first)) return [];
    return [{ at: cal.instant(ymd, cfg.reminders.at), period: ymd }];
  },
  async build(j, ymd) {
    // the months whose draft went to review before today (their draft rows carry the month)
    const rows = await j.read.outbox.findMany({
      where: { dispatchKey: { gte: "circular-draft:contact:", lt: "circular-draft:contact;" }, createdAt: { lt: j.cal.instant(ymd) } },
      select: { dispatchKey: true, createdAt: true },
    });
    const drafted = new Map<string, Date>();
    for (const r of rows) {
      const month = r.dispatchKey!.slice(-7);
      if (!drafted.has(month) || drafted.get(month)! > r.createdAt) drafted.set(month, r.createdAt);
    }
    const pending: { month: string; at: Date }[] = [];
    for (const [month, at] of [...drafted].sort(([a], [b]) => (a < b ? -1 : 1)))
      if (!(await published(j.read, month)).length) pending.push({ month, at });
    if (!pending.length) return { rows: [] };
    const lines = [`【通报待发布】以下月度通报草稿已发送审核，尚未发布：`];
    for (const p of pending) lines.push(`${monthName(p.month)}通报（${fmtDate(j.cal.today(p.at), ymd)}发送草稿）：核对无误后发送 /通报 发布 ${p.month}；查看草稿：/通报 ${p.month}`);
    return { rows: reviewers(j.cfg).map((m) => ({ target: { kind: "contact" as const, id: m.id }, text: lines.join("\n"), dispatchKey: `circular-review:contact:${m.id}:${ymd}` })) };
  },
};
