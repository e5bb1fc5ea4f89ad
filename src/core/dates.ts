// The date forms of SPEC §3, as cadres write them: 2026-03-20, 2026/3/20, 3月20日, 十二月八日, 3-20,
// 3.20, 15号, 下月15日, 明天, 后天, 周五, 本周五, 下周一, 下下周一, 月底, 下月底, 年底, N个工作日,
// N天, 一周, 两周, with Chinese or full-width numerals and a trailing 前 / 之前 / 内 / 以内 (月底前,
// 下周五前, 两周内). A date without a year is the next such date not in the past.
// (chrono-node's Chinese parser was tried: it knows none of 15号, 下月15日, 年底, 一周, N个工作日 or
// full-width digits, reads 下下周一 as 下周一 and 明天 in the machine's timezone — so the forms are ours.)
import type { Calendar, Ymd } from "../domain/calendar.ts";
import { fold } from "./text.ts";

const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const WEEKDAYS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7 };

/** 3, 十, 十五, 二十, 二十三, 三十一 … up to 99. */
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

/** The month `n` months after the month of `ymd`, as [year, month]. */
function monthAfter(ymd: Ymd, n: number): [number, number] {
  const i = +ymd.slice(0, 4) * 12 + (+ymd.slice(5, 7) - 1) + n;
  return [Math.floor(i / 12), (i % 12) + 1];
}

/** Month-day without a year: this year's if not past, else next year's. */
function nextMonthDay(m: number, d: number, today: Ymd): Ymd | null {
  const y = +today.slice(0, 4);
  const date = valid(y, m, d);
  if (date && date >= today) return date;
  return valid(y + 1, m, d);
}

const NUM = "[0-9]{1,2}|[一二两三四五六七八九十]{1,3}";

export function parseDate(input: string, today: Ymd, cal: Calendar): Ymd | null {
  let s = fold(input).trim().replace(/\s+/g, "");
  // 月底前, 下周五之前, 两周内, 三个工作日以内: the same day
  s = s.replace(/(?:之前|以前|以内|前|内)$/, "");
  if (!s) return null;
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$/.exec(s))) return valid(+m[1], +m[2], +m[3]);
  if ((m = /^(\d{1,2})[-/.](\d{1,2})$/.exec(s))) return nextMonthDay(+m[1], +m[2], today);
  if ((m = new RegExp(`^(${NUM})月(${NUM})[日号]?$`).exec(s))) {
    const [mo, d] = [parseCount(m[1]), parseCount(m[2])];
    return mo && d ? nextMonthDay(mo, d, today) : null;
  }
  // 15号, 15日, 本月15日: this month's if not past, else next month's; 下月15日 / 下个月15号
  if ((m = new RegExp(`^(本月|这个月|下个?月)?(${NUM})[日号]$`).exec(s))) {
    const d = parseCount(m[2]);
    if (!d) return null;
    if (m[1]?.startsWith("下")) return valid(...monthAfter(today, 1), d);
    const here = valid(...monthAfter(today, 0), d);
    if (m[1]) return here;
    return here && here >= today ? here : valid(...monthAfter(today, 1), d);
  }
  if (s === "今天") return today;
  if (s === "明天") return cal.addDays(today, 1);
  if (s === "后天") return cal.addDays(today, 2);
  if (s === "大后天") return cal.addDays(today, 3);
  if (s === "月底" || s === "本月底" || s === "月末") return cal.lastDayOfMonth(today);
  if (s === "下月底" || s === "下个月底" || s === "下月末") return cal.lastDayOfMonth(cal.addDays(cal.lastDayOfMonth(today), 1));
  if (s === "年底" || s === "年末" || s === "今年底") return `${today.slice(0, 4)}-12-31`;
  // 周五 (the next Friday not in the past), 本周五 (this week's), 下周五, 下下周一
  if ((m = /^(本|这|下下|下个|下)?(?:周|星期|礼拜)([一二三四五六日天])$/.exec(s))) {
    const wd = WEEKDAYS[m[2]];
    const monday = cal.addDays(today, 1 - cal.weekday(today));
    const weeks = !m[1] ? (wd >= cal.weekday(today) ? 0 : 1) : m[1] === "下下" ? 2 : m[1].startsWith("下") ? 1 : 0;
    return cal.addDays(monday, wd - 1 + 7 * weeks);
  }
  if ((m = /^(.+?)个?工作日(?:后)?$/.exec(s))) {
    const n = parseCount(m[1]);
    return n && n > 0 && n <= 366 ? cal.addWorkdays(today, n) : null;
  }
  if ((m = /^(.+?)(?:个)?(?:周|星期|礼拜)(?:后)?$/.exec(s))) {
    const n = parseCount(m[1]);
    return n && n > 0 && n <= 52 ? cal.addDays(today, 7 * n) : null;
  }
  if ((m = /^(.+?)天(?:后)?$/.exec(s))) {
    const n = parseCount(m[1]);
    return n && n > 0 && n <= 3660 ? cal.addDays(today, n) : null;
  }
  return null;
}
