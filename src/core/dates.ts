// The date forms of SPEC §3: 2026-03-20, 2026/3/20, 3月20日, 3-20, 3.20, 明天, 后天, 本周五, 下周一,
// 月底, N个工作日, N天. A date without a year is the next such date not in the past.
import type { Calendar, Ymd } from "../domain/calendar.ts";
import { fold } from "./text.ts";

const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const WEEKDAYS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7 };

/** 3, 十, 十五, 二十, 二十三 … up to 99. */
export function parseCount(s: string): number | null {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^([一二两三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(s);
  if (!m || s === "") return null;
  if (!m[2]) return m[1] && !m[3] ? CN_DIGITS[m[1]] : null;
  return (m[1] ? CN_DIGITS[m[1]] : 1) * 10 + (m[3] ? CN_DIGITS[m[3]] : 0);
}

function valid(y: number, m: number, d: number): Ymd | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCMonth() !== m - 1) return null;
  return dt.toISOString().slice(0, 10);
}

export function parseDate(input: string, today: Ymd, cal: Calendar): Ymd | null {
  const s = fold(input).trim().replace(/\s+/g, "");
  if (!s) return null;
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(s))) return valid(+m[1], +m[2], +m[3]);
  if ((m = /^(\d{1,2})(?:[-/.]|月)(\d{1,2})[日号]?$/.exec(s))) {
    const y = +today.slice(0, 4);
    const d = valid(y, +m[1], +m[2]);
    if (d && d >= today) return d;
    return valid(y + 1, +m[1], +m[2]);
  }
  if (s === "今天") return today;
  if (s === "明天") return cal.addDays(today, 1);
  if (s === "后天") return cal.addDays(today, 2);
  if (s === "月底" || s === "本月底") return cal.lastDayOfMonth(today);
  if (s === "下月底") return cal.lastDayOfMonth(cal.addDays(cal.lastDayOfMonth(today), 1));
  if ((m = /^(本|这|下|下个)(?:周|星期|礼拜)([一二三四五六日天])$/.exec(s))) {
    const wd = WEEKDAYS[m[2]];
    const monday = cal.addDays(today, 1 - cal.weekday(today));
    return cal.addDays(monday, wd - 1 + (m[1].startsWith("下") ? 7 : 0));
  }
  if ((m = /^(.+?)个?工作日(?:内|后)?$/.exec(s))) {
    const n = parseCount(m[1]);
    return n && n > 0 && n <= 366 ? cal.addWorkdays(today, n) : null;
  }
  if ((m = /^(.+?)天(?:内|后)?$/.exec(s))) {
    const n = parseCount(m[1]);
    return n && n > 0 && n <= 3660 ? cal.addDays(today, n) : null;
  }
  return null;
}
