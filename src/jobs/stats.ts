// Unit figures and the 红/黄/绿 status of SPEC §4, shared by the digest, the circular, the ledger and
// /统计. One grouped SQL pass over the items, either as they are now or as they stood at an earlier
// instant (a month's end: each item as its latest event at or before that instant left it).
//
// 口径 (written into the circular's footnote, see STATUS_RULES):
// - 到期 (due): an item whose deadline had passed by then (due by the end of its deadline day), plus every
//   closed item; an item whose extension request was filed before its deadline and is still pending
//   (as of then) is not due (nor overdue) while the request waits.
// - 按期完成 (on time): closed by the end of its deadline day (an item without a deadline: when closed).
// - 按期完成率 = 按期完成 ÷ 到期; none ("—") when nothing is due yet: such a unit is not counted as 100%.
// - 逾期 (overdue): due, not closed. Days overdue count workdays after the deadline up to the day.
// - 红: something overdue; 黄: something due within N workdays, or 按期完成率 below the green line;
//   绿: otherwise. A unit with no items at all is listed apart (无问题), never ranked.
import type { Config } from "../config/schema.ts";
import type { Reader } from "../db/client.ts";
import type { Calendar, Ymd } from "../domain/calendar.ts";
import { dayAtUtc, empty, int, join, raw, sql, type Sql } from "../db/sql.ts";

export type Light = "红" | "黄" | "绿";

export interface UnitFigures {
  unit: string;
  total: number;
  closed: number;
  /** submitted, waiting for verification */
  waiting: number;
  open: number;
  overdue: number;
  dueSoon: number;
  /** deadline passed (or closed), excluding pending extension requests filed in time */
  due: number;
  /** closed by the end of the deadline day */
  onTime: number;
  /** deadline passed but an extension request filed in time is pending: not overdue */
  excused: number;
  /** closed in the period asked for (a circular's month), as of its end */
  closedIn?: number;
  /** 按期完成率 = onTime ÷ due; null when nothing is due yet (never shown as 100%) */
  completion: number | null;
  light: Light;
}

/** The footnote's definition of the status and of 按期完成率 (one place, so text and code agree). */
export function statusRules(cfg: Config): string {
  const g = pct(cfg.status.greenCompletion);
  return (
    `按期完成率＝按期销号问题数÷到期问题数（到期问题指整改时限已过或已销号的问题；截止日当天24时前销号为按期；` +
    `截止日前提出延期申请、尚在审批中的问题不计入到期和逾期）。` +
    `红：有逾期未销号问题；黄：有问题${cfg.status.yellowDueWithinWorkdays}个工作日内到期或按期完成率低于${g}；绿：无逾期且按期完成率不低于${g}。` +
    `无问题的单位单列，不参与排名。`
  );
}

export interface OpenItem {
  no: number;
  title: string;
  /** an anonymous report: its words go to 督办员 and 领导 only (SPEC §1) */
  anonymous: boolean | number | bigint;
  unitName: string | null;
  assigneeId: string | null;
  deadline: string | null;
  status: string;
}

const PAGE = 500;

/** SQLite aggregates come back as number or bigint. */
type Num = number | bigint | null;

/**
 * Open items with a deadline up to `upto`, in the fields the jobs need, a page at a time (there may be
 * 100k: plain queries keep the driver's intermediate results small).
 */
export async function* openItemsWithDeadline(tx: Reader, campaign: string, upto: Ymd): AsyncGenerator<OpenItem> {
  let after = 0;
  for (;;) {
    const rows = await tx.$queryRaw<(Omit<OpenItem, "no"> & { no: bigint | number })[]>`
      SELECT "no", "title", "anonymous", "unitName", "assigneeId", "deadline", "status" FROM "Item"
       WHERE "campaign" = ${campaign} AND "status" <> '已销号' AND "deadline" IS NOT NULL AND "deadline" <= ${upto} AND "no" > ${after}
       ORDER BY "no" LIMIT ${int(PAGE)}`;
    for (const r of rows) {
      r.no = Number(r.no); // (in place: tens of thousands of rows)
      yield r as OpenItem;
    }
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1].no);
  }
}


/**
 * When the figures are taken: `now` (the items as they are; `since` limits them to items reported from
 * then on, /统计 本月) or `asOf` an instant (a month's end): each item as the latest of its events at or
 * before `end` left it (its status, unit, deadline); items reported later do not exist yet. `day` is the
 * local day that ends at `end`: overdue days are counted up to it; `from` (the month's start) asks for
 * `closedIn`, the items closed from then up to `end`.
 */
export type When = { kind: "now"; today: Ymd; since?: Date; unit?: string } | { kind: "asOf"; end: Date; day: Ymd; from?: Date };

/** An overdue item as a circular names it (亮相揭丑). */
export interface NamedItem {
  no: number;
  title: string;
  anonymous: boolean;
  unitName: string | null;
  deadline: string;
  /** workdays overdue, counted up to the day of the figures */
  by: number;
}

/** The first day not yet over at `w`, and the day overdue days are counted up to. */
function days(w: When, cal: Calendar): { cutoff: Ymd; countTo: Ymd } {
  return w.kind === "now" ? { cutoff: w.today, countTo: w.today } : { cutoff: cal.addDays(w.day, 1), countTo: w.day };
}

/** How far back the table of deadline-day ends reaches at most (a deadline years back counts as late). */
const MAX_DAYS_BACK = 1100;

/**
 * The items at `w` as a CTE `t` (id, no, title, anonymous, unit, status, deadline, closedAt, late, excused),
 * in portable SQL (no boolean sums, no date functions): `d` maps each deadline day to the instant it ends
 * in the campaign's timezone, so "closed by the deadline" and "asked for an extension before the deadline"
 * are plain comparisons.
 */
async function itemsAt(read: Reader, cfg: Config, cal: Calendar, w: When): Promise<Sql> {
  const campaign = cfg.campaign.name;
  const { cutoff } = days(w, cal);
  const end = w.kind === "asOf" ? w.end : null;
  // the earliest deadline an item has (or had) bounds the day table
  const [minRow] = await read.$queryRaw<{ a: string | null }[]>(
    w.kind === "asOf"
      ? sql`SELECT MIN(x."a") AS "a" FROM (SELECT MIN("deadline") AS "a" FROM "Item" WHERE "campaign" = ${campaign} UNION ALL SELECT MIN("toDeadline") AS "a" FROM "Event") x`
      : sql`SELECT MIN("deadline") AS "a" FROM "Item" WHERE "campaign" = ${campaign}`,
  );
  // the instant each deadline day ends. A timezone east of UTC whose offset does not change over those
  // days (China's) ends day D at a fixed UTC time of the same date (src/db/sql.ts dayAtUtc). Otherwise a
  // table of the days, looked up only where a row needs it.
  let first = minRow?.a && minRow.a < cutoff ? minRow.a : cutoff;
  if (first < cal.addDays(cutoff, -MAX_DAYS_BACK)) first = cal.addDays(cutoff, -MAX_DAYS_BACK);
  const offsets = new Set<number>();
  for (let d = first; d <= cutoff; d = cal.addDays(d, 1)) offsets.add(cal.offsetMinutes(cal.instant(cal.addDays(d, 1))));
  const [off] = [...offsets];
  // (the first row only names the columns' types; no deadline is that day)
  const dayRows: Sql[] = [sql`(${"0000-00-00"}, ${new Date(0)})`];
  let endOf: (col: string) => Sql;
  if (offsets.size === 1 && off > 0 && off < 24 * 60) {
    const utc = 24 * 60 - off;
    const hhmm = `${String(Math.floor(utc / 60)).padStart(2, "0")}:${String(utc % 60).padStart(2, "0")}`;
    endOf = (col) => raw(dayAtUtc(read, col, hhmm));
  } else {
    for (let d = first; d < cutoff; d = cal.addDays(d, 1)) dayRows.push(sql`(${d}, ${cal.instant(cal.addDays(d, 1))})`);
    endOf = (col) => sql`(SELECT d."endAt" FROM "d" d WHERE d."day" = ${raw(col)})`;
  }
  const dSql = sql`"d" ("day", "endAt") AS (VALUES ${join(dayRows)})`;
  let sSql: Sql;
  if (w.kind === "now") {
    sSql = sql`"s" AS (SELECT i."id", i."no", i."title", i."anonymous", i."unitName" AS "unit", i."status", i."deadline", i."closedAt"
                 FROM "Item" i WHERE i."campaign" = ${campaign} ${w.since ? sql`AND i."createdAt" >= ${w.since}` : empty} ${w.unit ? sql`AND i."unitName" = ${w.unit}` : empty})`;
  } else {
    // the latest event at or before the instant; events written before the timeline kept the item's
    // state (toStatus NULL) fall back to the item as it is now (a closing after the instant undone)
    sSql = sql`"l" AS (SELECT i."id", i."no", i."title", i."anonymous", i."unitName", i."status", i."deadline", i."closedAt",
                        (SELECT e."id" FROM "Event" e WHERE e."itemId" = i."id" AND e."at" < ${end} ORDER BY e."at" DESC, e."id" DESC LIMIT 1) AS "eid"
                 FROM "Item" i WHERE i."campaign" = ${campaign} AND i."createdAt" < ${end}),
            "s" AS (SELECT l."id", l."no", l."title", l."anonymous",
                        CASE WHEN e."toStatus" IS NULL THEN l."unitName" ELSE e."toUnit" END AS "unit",
                        CASE WHEN e."toStatus" IS NOT NULL THEN e."toStatus"
                             WHEN l."status" = '已销号' AND NOT (l."closedAt" < ${end}) THEN '整改中'
                             ELSE l."status" END AS "status",
                        CASE WHEN e."toStatus" IS NULL THEN l."deadline" ELSE e."toDeadline" END AS "deadline",
                        CASE WHEN l."closedAt" < ${end} THEN l."closedAt" END AS "closedAt"
                 FROM "l" l LEFT JOIN "Event" e ON e."id" = l."eid")`;
  }
  // pending at that time: now, still 待审批; at an instant, filed before it and not answered by then
  const pending = w.kind === "now" ? sql`x."status" = '待审批'` : sql`x."at" < ${end} AND (x."decidedAt" IS NULL OR x."decidedAt" >= ${end})`;
  const tSql = sql`"t" AS (SELECT s."id", s."no", s."title", s."anonymous", s."unit", s."status", s."deadline", s."closedAt",
                   CASE WHEN s."status" = '已销号' AND s."deadline" < ${cutoff} AND NOT (s."closedAt" < ${endOf(`s."deadline"`)}) THEN 1 ELSE 0 END AS "late",
                   CASE WHEN s."status" <> '已销号' AND s."deadline" < ${cutoff}
                         AND s."id" IN (SELECT x."itemId" FROM "ExtensionRequest" x WHERE ${pending})
                         AND EXISTS (SELECT 1 FROM "ExtensionRequest" x WHERE x."itemId" = s."id" AND ${pending} AND x."at" < ${endOf(`s."deadline"`)})
                        THEN 1 ELSE 0 END AS "excused"
               FROM "s" s)`;
  // (the IN list — the few items with a pending request — is built once: the EXISTS runs only for them)
  return sql`WITH ${dSql}, ${sSql}, ${tSql}`;
}

/** Later than any time an item is closed (no month asked for: nothing is counted as closed in it). */
const FAR_FUTURE = new Date("9999-12-31T00:00:00Z");

/** Units in the config's order (then 未交办, then any name the config no longer has). */
export async function figuresAt(
  read: Reader,
  cfg: Config,
  cal: Calendar,
  w: When,
  opts: { unassigned?: boolean; named?: number } = {},
): Promise<{ units: UnitFigures[]; named: NamedItem[]; namedTotal: number }> {
  const { cutoff, countTo } = days(w, cal);
  const soon = cal.addWorkdays(countTo, cfg.status.yellowDueWithinWorkdays);
  const t = await itemsAt(read, cfg, cal, w);
  const from = w.kind === "asOf" ? w.from : undefined;
  const rows = await read.$queryRaw<{ unit: string | null; total: Num; closed: Num; waiting: Num; overdue: Num; excused: Num; dueSoon: Num; onTime: Num; closedIn: Num }[]>`
    ${t}
     SELECT "unit", COUNT(*) AS "total",
            COUNT(CASE WHEN "status" = '已销号' THEN 1 END) AS "closed",
            COUNT(CASE WHEN "status" = '待验收' THEN 1 END) AS "waiting",
            COUNT(CASE WHEN "status" <> '已销号' AND "deadline" < ${cutoff} AND "excused" = 0 THEN 1 END) AS "overdue",
            COUNT(CASE WHEN "excused" = 1 THEN 1 END) AS "excused",
            COUNT(CASE WHEN "status" <> '已销号' AND "deadline" >= ${cutoff} AND "deadline" <= ${soon} THEN 1 END) AS "dueSoon",
            COUNT(CASE WHEN "status" = '已销号' AND "late" = 0 THEN 1 END) AS "onTime",
            COUNT(CASE WHEN "status" = '已销号' AND "closedAt" >= ${from ?? FAR_FUTURE} THEN 1 END) AS "closedIn"
     FROM "t" GROUP BY "unit"`;
  let named: NamedItem[] = [];
  if (opts.named) {
    // the most overdue first: days overdue only grow with an earlier deadline
    const list = await read.$queryRaw<{ no: Num; title: string; anonymous: Num | boolean; unit: string | null; deadline: string }[]>`
      ${t}
       SELECT "no", "title", "anonymous", "unit", "deadline" FROM "t"
       WHERE "status" <> '已销号' AND "deadline" < ${cutoff} AND "excused" = 0 ORDER BY "deadline", "no" LIMIT ${int(Math.floor(opts.named))}`;
    named = list.map((r) => ({
      no: Number(r.no),
      title: r.title,
      anonymous: r.anonymous === true || Number(r.anonymous) === 1,
      unitName: r.unit,
      deadline: r.deadline,
      by: cal.workdaysBetween(r.deadline, countTo),
    }));
  }
  const byUnit = new Map(rows.map((r) => [r.unit, r]));
  const names: (string | null)[] = cfg.units.map((u) => u.name);
  if (opts.unassigned) {
    names.push(null);
    // an item of a unit the config no longer names still counts (the totals add up)
    for (const r of rows) if (r.unit !== null && !names.includes(r.unit)) names.push(r.unit);
  }
  const units = names.map((name) => {
    const r = byUnit.get(name);
    const [total, closed, waiting, overdue, excused, dueSoon, onTime] = [r?.total, r?.closed, r?.waiting, r?.overdue, r?.excused, r?.dueSoon, r?.onTime].map((x) => Number(x ?? 0));
    const due = closed + overdue;
    const completion = due ? onTime / due : null;
    const light: Light = overdue > 0 ? "红" : dueSoon > 0 || (completion !== null && completion < cfg.status.greenCompletion) ? "黄" : "绿";
    const f: UnitFigures = { unit: name ?? "未交办", total, closed, waiting, open: total - closed, overdue, dueSoon, due, onTime, excused, completion, light };
    if (from) f.closedIn = Number(r?.closedIn ?? 0);
    return f;
  });
  const namedTotal = units.reduce((n, f) => n + f.overdue, 0);
  return { units, named, namedTotal };
}

/**
 * Figures per configured unit now (plus "未交办" for items without a unit when `unassigned` is asked for).
 * `since` limits them to items reported from then on (/统计 本月, 本周).
 */
export async function unitFigures(tx: Reader, cfg: Config, cal: Calendar, today: Ymd, opts: { since?: Date; unassigned?: boolean; unit?: string } = {}): Promise<UnitFigures[]> {
  const units = (await figuresAt(tx, cfg, cal, { kind: "now", today, since: opts.since, unit: opts.unit }, { unassigned: opts.unassigned && !opts.unit })).units;
  // one unit asked for: its items only were read (through the (campaign, unitName) index)
  return opts.unit ? units.filter((f) => f.unit === opts.unit) : units;
}

const ORDER: Record<Light, number> = { 绿: 0, 黄: 1, 红: 2 };

/**
 * Best first: status, then units with a 按期完成率 before those with nothing due yet, the rate, fewer
 * overdue, more closed, then the config's order. Units without items come last (the circular lists them
 * apart: see ranked()).
 */
export function rank(units: UnitFigures[]): UnitFigures[] {
  return [...units].sort(
    (a, b) =>
      Number(!a.total) - Number(!b.total) ||
      ORDER[a.light] - ORDER[b.light] ||
      Number(a.completion === null) - Number(b.completion === null) ||
      (b.completion ?? 0) - (a.completion ?? 0) ||
      a.overdue - b.overdue ||
      b.closed - a.closed,
  );
}

/** The ranking of the units with items, and apart from it the units without any (无问题). */
export function ranked(units: UnitFigures[]): { ranked: UnitFigures[]; none: UnitFigures[] } {
  return { ranked: rank(units.filter((f) => f.total > 0)), none: units.filter((f) => f.total === 0) };
}

/** "85%", or "—" where there is no rate (nothing due). */
export const pct = (x: number | null) => (x === null || Number.isNaN(x) ? "—" : `${Math.round(x * 100)}%`);
