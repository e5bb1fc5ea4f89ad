// China's real workdays (chinese-days, with the config's overrides for years it does not know yet) in
// the campaign's timezone. Dates are plain "YYYY-MM-DD" strings: a deadline is a calendar date.
// chinese-days' data table is read directly: its functions turn "YYYY-MM-DD" into a Date and read it back
// in the machine's timezone, so on a machine west of UTC every answer is a day off (Monday a holiday).
import { createRequire } from "node:module";

const days = createRequire(import.meta.url)("chinese-days/dist/chinese-days.json") as {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
};
/** Years whose holidays and 调休 the bundled table knows (it is updated each year from the State Council notice). */
export const KNOWN_YEARS: ReadonlySet<number> = new Set(Object.keys(days.holidays).map((d) => +d.slice(0, 4)));

export type Ymd = string;

export class Calendar {
  private readonly extraHolidays: Set<string>;
  private readonly extraWorkdays: Set<string>;
  private readonly dtf: Intl.DateTimeFormat;

  constructor(
    readonly timezone: string,
    extra: { extraHolidays: string[]; extraWorkdays: string[] } = { extraHolidays: [], extraWorkdays: [] },
  ) {
    this.extraHolidays = new Set(extra.extraHolidays);
    this.extraWorkdays = new Set(extra.extraWorkdays);
    this.dtf = new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
  }

  private last: { t: number; v: { ymd: Ymd; hh: number; mm: number; ss: number } } | null = null;

  /** Local wall-clock parts of an instant in the campaign's timezone. */
  local(at: Date): { ymd: Ymd; hh: number; mm: number; ss: number } {
    const t = Math.floor(at.getTime() / 1000);
    if (this.last?.t === t) return { ...this.last.v }; // Intl formatting is slow; the same second repeats a lot
    const p = Object.fromEntries(this.dtf.formatToParts(at).map((x) => [x.type, x.value]));
    const v = { ymd: `${p.year}-${p.month}-${p.day}`, hh: Number(p.hour), mm: Number(p.minute), ss: Number(p.second) };
    this.last = { t, v };
    return { ...v };
  }

  today(at: Date): Ymd {
    return this.local(at).ymd;
  }

  /** Offset of the timezone from UTC at that instant, in minutes. */
  offsetMinutes(at: Date): number {
    const l = this.local(at);
    const asUtc = Date.UTC(+l.ymd.slice(0, 4), +l.ymd.slice(5, 7) - 1, +l.ymd.slice(8, 10), l.hh, l.mm, l.ss);
    return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60000);
  }

  /** The instant of a local date and "HH:MM" in the campaign's timezone. */
  instant(ymd: Ymd, hhmm = "00:00"): Date {
    const [h, m] = hhmm.split(":").map(Number);
    const guess = new Date(Date.UTC(+ymd.slice(0, 4), +ymd.slice(5, 7) - 1, +ymd.slice(8, 10), h, m));
    const off = this.offsetMinutes(guess);
    const at = new Date(guess.getTime() - off * 60000);
    const off2 = this.offsetMinutes(at);
    return off2 === off ? at : new Date(guess.getTime() - off2 * 60000);
  }

  /** ISO 8601 with the timezone's offset, e.g. 2026-03-02T09:00:00+08:00. */
  iso(at: Date): string {
    const l = this.local(at);
    const off = this.offsetMinutes(at);
    const sign = off < 0 ? "-" : "+";
    const a = Math.abs(off);
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${l.ymd}T${pad(l.hh)}:${pad(l.mm)}:${pad(l.ss)}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  }

  private readonly workdayMemo = new Map<Ymd, boolean>();
  private readonly yearCum = new Map<number, { before: number; cum: Uint16Array }>();

  isWorkday(ymd: Ymd): boolean {
    let w = this.workdayMemo.get(ymd);
    if (w === undefined) {
      w = this.extraWorkdays.has(ymd) ? true : this.extraHolidays.has(ymd) ? false : ymd in days.workdays || (this.weekday(ymd) <= 5 && !(ymd in days.holidays));
      this.workdayMemo.set(ymd, w);
    }
    return w;
  }

  /**
   * Does the calendar know the 节假日 and 调休 of this year (bundled table or the config's extra days)?
   * Where it does not, workdays are Monday to Friday until calendar.extraHolidays is filled in.
   */
  knowsYear(y: number): boolean {
    return KNOWN_YEARS.has(y) || [...this.extraHolidays].some((d) => +d.slice(0, 4) === y);
  }

  /** Workdays from 2000-01-01 up to and including `ymd` (for O(1) counting over long spans). */
  private workdayOrdinal(ymd: Ymd): number {
    const y = +ymd.slice(0, 4);
    const doy = Math.round((Date.UTC(y, +ymd.slice(5, 7) - 1, +ymd.slice(8, 10)) - Date.UTC(y, 0, 1)) / 86_400_000);
    return this.year(y).before + this.year(y).cum[doy];
  }

  private year(y: number): { before: number; cum: Uint16Array } {
    let e = this.yearCum.get(y);
    if (e) return e;
    const before = y <= 2000 ? 0 : this.year(y - 1).before + this.year(y - 1).cum[this.year(y - 1).cum.length - 1];
    const days = (Date.UTC(y + 1, 0, 1) - Date.UTC(y, 0, 1)) / 86_400_000;
    const cum = new Uint16Array(days);
    let n = 0;
    for (let i = 0; i < days; i++) {
      if (this.isWorkday(new Date(Date.UTC(y, 0, 1 + i)).toISOString().slice(0, 10))) n++;
      cum[i] = n;
    }
    e = { before, cum };
    this.yearCum.set(y, e);
    return e;
  }

  /** 1 = Monday … 7 = Sunday. */
  weekday(ymd: Ymd): number {
    const d = new Date(ymd + "T00:00:00Z").getUTCDay();
    return d === 0 ? 7 : d;
  }

  addDays(ymd: Ymd, n: number): Ymd {
    const d = new Date(ymd + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  /** The n-th workday after `ymd` (n ≥ 1); n = 0 gives `ymd` itself. */
  addWorkdays(ymd: Ymd, n: number): Ymd {
    let d = ymd;
    let left = n;
    while (left > 0) {
      d = this.addDays(d, 1);
      if (this.isWorkday(d)) left--;
    }
    return d;
  }

  /** Workdays in (after, upto]: "overdue by N on day D" counts the workdays after the deadline up to D. */
  workdaysBetween(after: Ymd, upto: Ymd): number {
    if (upto <= after) return 0;
    return this.workdayOrdinal(upto) - this.workdayOrdinal(after);
  }

  /** The deadline itself when it is a workday, else the last workday before it. */
  lastWorkdayOnOrBefore(ymd: Ymd): Ymd {
    let d = ymd;
    while (!this.isWorkday(d)) d = this.addDays(d, -1);
    return d;
  }

  /** The day itself when it is a workday, else the next workday. */
  workdayOnOrAfter(ymd: Ymd): Ymd {
    let d = ymd;
    while (!this.isWorkday(d)) d = this.addDays(d, 1);
    return d;
  }

  /** The n-th workday of the month of `ymd` (n ≥ 1). */
  nthWorkdayOfMonth(ymd: Ymd, n: number): Ymd {
    let d = this.addDays(ymd.slice(0, 8) + "01", -1);
    return this.addWorkdays(d, n);
  }

  /** Is the local time of `at` inside the quiet hours [from, to) (which may wrap over midnight)? */
  inQuiet(at: Date, [from, to]: [string, string]): boolean {
    const l = this.local(at);
    const hm = `${String(l.hh).padStart(2, "0")}:${String(l.mm).padStart(2, "0")}`;
    return from <= to ? hm >= from && hm < to : hm >= from || hm < to;
  }

  lastDayOfMonth(ymd: Ymd): Ymd {
    const d = new Date(Date.UTC(+ymd.slice(0, 4), +ymd.slice(5, 7), 0));
    return d.toISOString().slice(0, 10);
  }
}

/** "3月20日", or "2027年3月20日" when the year differs from `relativeTo`'s. */
export function fmtDate(ymd: Ymd, relativeTo?: Ymd): string {
  const [y, m, d] = ymd.split("-").map(Number);
  const md = `${m}月${d}日`;
  return relativeTo && relativeTo.slice(0, 4) === ymd.slice(0, 4) ? md : `${y}年${md}`;
}
