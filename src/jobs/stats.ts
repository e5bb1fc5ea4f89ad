// Unit figures and the 红/黄/绿 status of SPEC §4, from the database, shared by the digest and the circular.
import type { Config } from "../config/schema.ts";
import type { Tx } from "../db/client.ts";
import type { Calendar, Ymd } from "../domain/calendar.ts";

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
  /** closed ÷ total; 1 when the unit has no item */
  completion: number;
  light: Light;
}

export interface OpenItem {
  no: number;
  title: string;
  unitName: string | null;
  assigneeId: string | null;
  deadline: string | null;
  status: string;
}

const PAGE = 500;

/**
 * Open items with a deadline up to `upto`, in the fields the jobs need, a page at a time (there may be
 * 100k: plain queries keep the driver's intermediate results small).
 */
export async function* openItemsWithDeadline(tx: Tx, campaign: string, upto: Ymd): AsyncGenerator<OpenItem> {
  let after = 0;
  for (;;) {
    const rows = await tx.$queryRawUnsafe<(Omit<OpenItem, "no"> & { no: bigint | number })[]>(
      `SELECT "no", "title", "unitName", "assigneeId", "deadline", "status" FROM "Item"
       WHERE "campaign" = ? AND "status" <> '已销号' AND "deadline" IS NOT NULL AND "deadline" <= ? AND "no" > ?
       ORDER BY "no" LIMIT ${PAGE}`,
      campaign,
      upto,
      after,
    );
    for (const r of rows) {
      r.no = Number(r.no); // (in place: tens of thousands of rows)
      yield r as OpenItem;
    }
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1].no);
  }
}

/**
 * Figures per configured unit (plus "未交办" for items without a unit when `unassigned` is asked for),
 * counted in the database. `since` limits them to items reported from then on (/统计 本月, 本周).
 */
export async function unitFigures(tx: Tx, cfg: Config, cal: Calendar, today: Ymd, opts: { since?: Date; unassigned?: boolean } = {}): Promise<UnitFigures[]> {
  const base = { campaign: cfg.campaign.name, ...(opts.since ? { createdAt: { gte: opts.since } } : {}) };
  const soon = cal.addWorkdays(today, cfg.status.yellowDueWithinWorkdays);
  const [totals, closed, waiting, overdue, dueSoon] = await Promise.all([
    tx.item.groupBy({ by: ["unitName"], where: base, _count: { _all: true } }),
    tx.item.groupBy({ by: ["unitName"], where: { ...base, status: "已销号" }, _count: { _all: true } }),
    tx.item.groupBy({ by: ["unitName"], where: { ...base, status: "待验收" }, _count: { _all: true } }),
    tx.item.groupBy({ by: ["unitName"], where: { ...base, status: { not: "已销号" }, deadline: { lt: today } }, _count: { _all: true } }),
    tx.item.groupBy({ by: ["unitName"], where: { ...base, status: { not: "已销号" }, deadline: { gte: today, lte: soon } }, _count: { _all: true } }),
  ]);
  const m = (rows: { unitName: string | null; _count: { _all: number } }[]) => new Map(rows.map((r) => [r.unitName, r._count._all]));
  const [t, c, w, o, d] = [m(totals), m(closed), m(waiting), m(overdue), m(dueSoon)];
  const names: (string | null)[] = cfg.units.map((u) => u.name);
  if (opts.unassigned) names.push(null);
  return names.map((name) => {
    const total = t.get(name) ?? 0;
    const cl = c.get(name) ?? 0;
    const od = o.get(name) ?? 0;
    const ds = d.get(name) ?? 0;
    const completion = total ? cl / total : 1;
    const light: Light = od > 0 ? "红" : ds > 0 || completion < cfg.status.greenCompletion ? "黄" : "绿";
    return { unit: name ?? "未交办", total, closed: cl, waiting: w.get(name) ?? 0, open: total - cl, overdue: od, dueSoon: ds, completion, light };
  });
}

const ORDER: Record<Light, number> = { 绿: 0, 黄: 1, 红: 2 };

/** Best first: status, completion, fewer overdue, more closed, then the config's order. */
export function rank(units: UnitFigures[]): UnitFigures[] {
  return [...units].sort((a, b) => ORDER[a.light] - ORDER[b.light] || b.completion - a.completion || a.overdue - b.overdue || b.closed - a.closed);
}

export const pct = (x: number) => `${Math.round(x * 100)}%`;
