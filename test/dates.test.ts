import { describe, expect, it } from "vitest";
import { parseDate } from "../src/core/dates.ts";
import { Calendar } from "../src/domain/calendar.ts";

const cal = new Calendar("Asia/Shanghai");
const today = "2026-09-29"; // a Tuesday, just before 国庆

describe("date forms of SPEC §3", () => {
  it.each([
    ["2026-10-20", "2026-10-20"],
    ["2026/10/20", "2026-10-20"],
    ["2026年10月20日", "2026-10-20"],
    ["10月20日", "2026-10-20"],
    ["10-20", "2026-10-20"],
    ["10.20", "2026-10-20"],
    ["１０月２０日", "2026-10-20"],
    ["明天", "2026-09-30"],
    ["后天", "2026-10-01"],
    ["本周五", "2026-10-02"],
    ["下周一", "2026-10-05"],
    ["月底", "2026-09-30"],
    ["3天", "2026-10-02"],
    ["三天", "2026-10-02"],
  ])("%s → %s", (input, want) => {
    expect(parseDate(input, today, cal)).toBe(want);
  });

  it("a date without a year is the next such date not in the past", () => {
    expect(parseDate("9月29日", today, cal)).toBe("2026-09-29");
    expect(parseDate("3月20日", today, cal)).toBe("2027-03-20");
    expect(parseDate("1-5", today, cal)).toBe("2027-01-05");
  });

  it("N个工作日 skips 国庆 and counts the 调休 Saturday 10-10", () => {
    // 9-30 is a workday; 10-01…10-07 holidays (10-08/09 Thu/Fri workdays), 10-10 Saturday is a make-up workday
    expect(parseDate("1个工作日", today, cal)).toBe("2026-09-30");
    expect(parseDate("2个工作日", today, cal)).toBe("2026-10-08");
    expect(parseDate("3个工作日", today, cal)).toBe("2026-10-09");
    expect(parseDate("4个工作日", today, cal)).toBe("2026-10-10");
    expect(parseDate("五个工作日", today, cal)).toBe("2026-10-12");
  });

  it("rejects what is not a date", () => {
    for (const bad of ["2026-02-30", "13月1日", "下下周", "0天", "abc", ""]) expect(parseDate(bad, today, cal)).toBeNull();
  });
});

describe("workday counting (SPEC §4)", () => {
  it("overdue by N on day D counts the workdays after the deadline up to and including D", () => {
    expect(cal.workdaysBetween("2026-10-09", "2026-10-10")).toBe(1);
    expect(cal.workdaysBetween("2026-09-30", "2026-10-07")).toBe(0);
    expect(cal.workdaysBetween("2026-09-30", "2026-10-09")).toBe(2);
  });
  it("the config's extra holidays and workdays override the bundled calendar", () => {
    const c = new Calendar("Asia/Shanghai", { extraHolidays: ["2026-03-02"], extraWorkdays: ["2026-03-01"] });
    expect(c.isWorkday("2026-03-02")).toBe(false);
    expect(c.isWorkday("2026-03-01")).toBe(true);
  });
  it("local time and ISO output in the campaign's timezone", () => {
    const at = new Date("2026-03-02T01:00:00Z");
    expect(cal.iso(at)).toBe("2026-03-02T09:00:00+08:00");
    expect(cal.instant("2026-03-02", "09:00").toISOString()).toBe("2026-03-02T01:00:00.000Z");
  });
});

describe("dates as cadres write them (SPEC §3)", () => {
  // each form on a weekday, a Sunday, a holiday eve, the last day of a month and of a year
  const days = {
    weekday: "2026-03-04", // Wednesday
    sunday: "2026-03-08",
    holidayEve: "2026-09-30", // Wednesday before 国庆
    monthEnd: "2026-04-30", // Thursday
    yearEnd: "2026-12-31", // Thursday
  } as const;
  const table: [string, Record<keyof typeof days, string | null>][] = [
    ["周五", { weekday: "2026-03-06", sunday: "2026-03-13", holidayEve: "2026-10-02", monthEnd: "2026-05-01", yearEnd: "2027-01-01" }],
    ["星期三", { weekday: "2026-03-04", sunday: "2026-03-11", holidayEve: "2026-09-30", monthEnd: "2026-05-06", yearEnd: "2027-01-06" }],
    ["下周五", { weekday: "2026-03-13", sunday: "2026-03-13", holidayEve: "2026-10-09", monthEnd: "2026-05-08", yearEnd: "2027-01-08" }],
    ["下周五前", { weekday: "2026-03-13", sunday: "2026-03-13", holidayEve: "2026-10-09", monthEnd: "2026-05-08", yearEnd: "2027-01-08" }],
    ["下下周一", { weekday: "2026-03-16", sunday: "2026-03-16", holidayEve: "2026-10-12", monthEnd: "2026-05-11", yearEnd: "2027-01-11" }],
    ["15号", { weekday: "2026-03-15", sunday: "2026-03-15", holidayEve: "2026-10-15", monthEnd: "2026-05-15", yearEnd: "2027-01-15" }],
    ["下月15日", { weekday: "2026-04-15", sunday: "2026-04-15", holidayEve: "2026-10-15", monthEnd: "2026-05-15", yearEnd: "2027-01-15" }],
    ["十二月八日", { weekday: "2026-12-08", sunday: "2026-12-08", holidayEve: "2026-12-08", monthEnd: "2026-12-08", yearEnd: "2027-12-08" }],
    ["１２月８日", { weekday: "2026-12-08", sunday: "2026-12-08", holidayEve: "2026-12-08", monthEnd: "2026-12-08", yearEnd: "2027-12-08" }],
    ["年底", { weekday: "2026-12-31", sunday: "2026-12-31", holidayEve: "2026-12-31", monthEnd: "2026-12-31", yearEnd: "2026-12-31" }],
    ["月底前", { weekday: "2026-03-31", sunday: "2026-03-31", holidayEve: "2026-09-30", monthEnd: "2026-04-30", yearEnd: "2026-12-31" }],
    ["一周", { weekday: "2026-03-11", sunday: "2026-03-15", holidayEve: "2026-10-07", monthEnd: "2026-05-07", yearEnd: "2027-01-07" }],
    ["两周内", { weekday: "2026-03-18", sunday: "2026-03-22", holidayEve: "2026-10-14", monthEnd: "2026-05-14", yearEnd: "2027-01-14" }],
    // 国庆 2026: 10-01…10-07 off, 10-10 (Saturday) a make-up workday
    ["三个工作日", { weekday: "2026-03-09", sunday: "2026-03-11", holidayEve: "2026-10-10", monthEnd: "2026-05-08", yearEnd: null }],
    ["３个工作日内", { weekday: "2026-03-09", sunday: "2026-03-11", holidayEve: "2026-10-10", monthEnd: "2026-05-08", yearEnd: null }],
  ];
  for (const [input, want] of table)
    for (const [k, today] of Object.entries(days) as [keyof typeof days, string][])
      if (want[k] !== null)
        it(`${input} on ${today} (${k}) → ${want[k]}`, () => {
          expect(parseDate(input, today, cal)).toBe(want[k]);
        });

  it("rejects what only looks like a date", () => {
    for (const bad of ["32号", "下月31日x", "十三月一日", "0周", "周八", "前"]) expect(parseDate(bad, "2026-03-04", cal)).toBeNull();
    expect(parseDate("下月31日", "2026-03-04", cal)).toBeNull(); // April has 30 days
  });
});

describe("the calendar does not depend on the machine's timezone", () => {
  it("the same workdays on a machine west of UTC (chinese-days' own functions shift them a day there)", async () => {
    const { spawnSync } = await import("node:child_process");
    const script = `import { Calendar } from "./src/domain/calendar.ts"; const c = new Calendar("Asia/Shanghai"); console.log(["2026-03-02", "2026-03-01", "2026-09-30", "2026-10-01", "2026-10-10", "2026-02-14"].map((d) => c.isWorkday(d)).join(","));`;
    for (const TZ of ["America/Los_Angeles", "Asia/Shanghai", "UTC"]) {
      const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, TZ }, cwd: new URL("..", import.meta.url).pathname });
      expect(r.stdout.trim(), `${TZ}: ${r.stderr}`).toBe("true,false,true,false,true,true");
    }
  });
  it("knows which years it has the State Council's holidays for", () => {
    expect(cal.knowsYear(2026)).toBe(true);
    expect(cal.knowsYear(2031)).toBe(false);
    expect(new Calendar("Asia/Shanghai", { extraHolidays: ["2031-01-01"], extraWorkdays: [] }).knowsYear(2031)).toBe(true);
  });
});
