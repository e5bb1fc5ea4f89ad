import type { Config } from "../config/schema.ts";
import type { Calendar } from "../domain/calendar.ts";

/** A file name for an export: 台账-青山镇-东村-20260331-0930.xlsx */
export function exportName(cfg: Config, cal: Calendar, now: Date, kind: string, unit?: string, ext = "xlsx"): string {
  const l = cal.local(now);
  const stamp = `${l.ymd.replace(/-/g, "")}-${String(l.hh).padStart(2, "0")}${String(l.mm).padStart(2, "0")}${String(l.ss).padStart(2, "0")}`;
  return `${kind}-${cfg.org}${unit ? "-" + unit : ""}-${stamp}.${ext}`;
}
