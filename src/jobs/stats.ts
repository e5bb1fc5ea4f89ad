// Unit figures and the 红/黄/绿 status of SPEC §4, from the database, shared by the digest and the circular.
import type { Config } from "../config/schema.ts";
import type { Reader } from "../db/client.ts";
import type { Calendar, Ymd } from "../domain/calendar.ts";
import { dbTime } from "../core/outbox.ts";

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

/** SQLite aggregates come back as number or bigint. */
type Num = number | bigint | null;

/**
 * Open items with a deadline up to `upto`, in the fields the jobs need, a page at a time (there may be
 * 100k: plain queries keep the driver's intermediate results small).
 */
export async function* openItemsWithDeadline(tx: Reader, campaign: string, upto: Ymd): AsyncGenerator<OpenItem> {
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
export async function unitFigures(tx: Reader, cfg: Config, cal: Calendar, today: Ymd, opts: { since?: Date; unassigned?: boolean } = {}): Promise<UnitFigures[]> {
  const soon = cal.addWorkdays(today, cfg.status.yellowDueWithinWorkdays);
  // one pass over the campaign's items (the status and deadline tests are the SPEC §4 ones; a NULL
  // deadline makes a comparison NULL, which SUM skips)
  const rows = await tx.$queryRawUnsafe<{ unitName: string | null; total: Num; closed: Num; waiting: Num; overdue: Num; dueSoon: Num }[]>(
    `SELECT "unitName", COUNT(*) AS "total",
            SUM("status" = '已销号') AS "closed",
            SUM("status" = '待验收') AS "waiting",
            SUM("status" <> '已销号' AND "deadline" < ?) AS "overdue",
            SUM("status" <> '已销号' AND "deadline" >= ? AND "deadline" <= ?) AS "dueSoon"
     FROM "Item" WHERE "campaign" = ? ${opts.since ? `AND "createdAt" >= ?` : ""}
     GROUP BY "unitName"`,
    today,
    today,
    soon,
    cfg.campaign.name,
    ...(opts.since ? [dbTime(opts.since)] : []),
  );
  const byUnit = new Map(rows.map((r) => [r.unitName, r]));
  const names: (string | null)[] = cfg.units.map((u) => u.name);
  if (opts.unassigned) names.push(null);
  return names.map((name) => {
    const r = byUnit.get(name);
    const [total, closed, waiting, overdue, dueSoon] = [r?.total, r?.closed, r?.waiting, r?.overdue, r?.dueSoon].map((x) => Number(x ?? 0));
    const completion = total ? closed / total : 1;
    const light: Light = overdue > 0 ? "红" : dueSoon > 0 || completion < cfg.status.greenCompletion ? "黄" : "绿";
    return { unit: name ?? "未交办", total, closed, waiting, open: total - closed, overdue, dueSoon, completion, light };
  });
}

const ORDER: Record<Light, number> = { 绿: 0, 黄: 1, 红: 2 };

/** Best first: status, completion, fewer overdue, more closed, then the config's order. */
export function rank(units: UnitFigures[]): UnitFigures[] {
  return [...units].sort((a, b) => ORDER[a.light] - ORDER[b.light] || b.completion - a.completion || a.overdue - b.overdue || b.closed - a.closed);
}

export const pct = (x: number) => `${Math.round(x * 100)}%`;
