// Weekly digest (周报) to every 领导, privately, on the configured weekday and time (default Monday
// 08:30; on a holiday, the first workday after): new, closed, overdue (worst first), waiting for *their*
// verification, extension requests pending, red units. Short enough for a phone.
// Its period runs from the previous digest's send day to the start of this one's (computed from the
// calendar), so consecutive digests cover every day once, also when a holiday moves one: moved from Monday
// 10-05 to 10-08 it covers 9-28..10-07, and the next, on 10-12, covers 10-08..10-11.
import { clip } from "../core/text.ts";
import { fmtDate, type Calendar, type Ymd } from "../domain/calendar.ts";
import type { Config } from "../config/schema.ts";
import { unitFigures } from "./stats.ts";
import type { Outgoing } from "../core/outbox.ts";
import type { Job, JobCtx } from "./types.ts";

export function parseWeekly(expr: string): { minute: number; hour: number; days: Set<number> } {
  const [m, h, , , d] = expr.trim().split(/\s+/);
  return { minute: +m, hour: +h, days: new Set(d.split(",").map((x) => (+x === 0 ? 7 : +x))) };
}

/** The nominal day (the cron weekday on or before `ymd`) whose send moves to the first workday. */
function nominalFor(ymd: Ymd, cfg: Config, cal: Calendar): Ymd | null {
  const { days } = parseWeekly(cfg.schedule.weeklyDigest);
  for (let back = 0; back < 7; back++) {
    const d = cal.addDays(ymd, -back);
    if (days.has(cal.weekday(d))) return sendDay(d, cal) === ymd ? d : null;
  }
  return null;
}

/** The day a nominal digest day's send moves to: itself, or the first workday after. */
const sendDay = (nominal: Ymd, cal: Calendar) => cal.workdayOnOrAfter(nominal);

/**
 * The days the digest sent on `send` (for nominal day `nominal`) covers: from the previous digest's send
 * day (the latest nominal day before whose send falls before `send`) up to the day before `send`; never
 * before the campaign's start. Returns [first, last] (last < send), or null when nothing is left.
 */
export function digestPeriod(nominal: Ymd, send: Ymd, cfg: Config, cal: Calendar): { from: Ymd; to: Ymd } {
  const { days } = parseWeekly(cfg.schedule.weeklyDigest);
  let from = cfg.campaign.start;
  for (let d = cal.addDays(nominal, -1), i = 0; i < 400; d = cal.addDays(d, -1), i++) {
    if (!days.has(cal.weekday(d))) continue;
    const prev = sendDay(d, cal);
    if (prev < send) {
      from = prev > from ? prev : from;
      break;
    }
  }
  return { from, to: cal.addDays(send, -1) };
}

const SHOWN = 5;

export const digestJob: Job = {
  name: "digest",
  slotsOn(ymd, cfg, cal) {
    const nominal = nominalFor(ymd, cfg, cal);
    if (!nominal) return [];
    const { hour, minute } = parseWeekly(cfg.schedule.weeklyDigest);
    return [{ at: cal.instant(ymd, `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`), period: nominal }];
  },
  async build(j, week) {
    const leaders = j.cfg.members.filter((m) => m.roles.includes("领导"));
    const rows: Outgoing[] = [];
    for (const l of leaders) rows.push({ target: { kind: "contact", id: l.id }, text: await digestFor(j, l.id, week), dispatchKey: `digest:contact:${l.id}:${week}` });
    return { rows };
  },
};

/** One leader's digest; `nominal` is the digest's nominal day (its period), today when omitted. */
export async function digestFor(j: JobCtx, leaderId: string, nominal: Ymd = j.today): Promise<string> {
  const { read: tx, cfg, cal, org, today } = j;
  const campaign = cfg.campaign.name;
  const period = digestPeriod(nominal, today, cfg, cal);
  const since = cal.instant(period.from);
  const until = cal.instant(today);
  const myUnits = cfg.units.filter((u) => u.leader === leaderId).map((u) => u.name);
  // a 分管领导 verifies for the units they lead; the 书记/镇长 (no units of their own) for all
  const scope = myUnits.length ? { unitName: { in: myUnits } } : {};
  const [created, closed, overdue, overdueCount, waiting, waitingCount, exts, figures] = await Promise.all([
    tx.item.count({ where: { campaign, createdAt: { gte: since, lt: until } } }),
    tx.item.count({ where: { campaign, status: "已销号", closedAt: { gte: since, lt: until } } }),
    tx.item.findMany({ where: { campaign, status: { not: "已销号" }, deadline: { lt: today } }, select: { no: true, title: true, unitName: true, deadline: true }, orderBy: [{ deadline: "asc" }, { no: "asc" }], take: SHOWN }),
    tx.item.count({ where: { campaign, status: { not: "已销号" }, deadline: { lt: today } } }),
    tx.item.findMany({ where: { campaign, status: "待验收", ...scope }, select: { no: true }, orderBy: { no: "asc" }, take: SHOWN }),
    tx.item.count({ where: { campaign, status: "待验收", ...scope } }),
    tx.extensionRequest.count({ where: { status: "待审批", item: { campaign, ...scope } } }),
    unitFigures(tx, cfg, cal, today),
  ]);
  const worst = overdue.map((i) => ({ ...i, by: cal.workdaysBetween(i.deadline!, today) }));
  const red = figures.filter((f) => f.light === "红").map((f) => f.unit);
  const span = period.from <= period.to ? `${fmtDate(period.from, today)}至${fmtDate(period.to, today)}` : fmtDate(today, today);
  const lines = [`【督办周报】${org.name(leaderId)}，${span}：`];
  lines.push(`新增问题 ${created} 个，销号 ${closed} 个，当前逾期 ${overdueCount} 个。`);
  if (worst.length) lines.push("逾期最久：", ...worst.slice(0, SHOWN).map((i) => `#${i.no} 【${i.unitName ?? ""}】${clip(i.title, 20)}（逾期${i.by}个工作日）`));
  if (overdueCount > worst.length) lines.push(`……共 ${overdueCount} 个，发送 /逾期 查看全部`);
  lines.push(`待${myUnits.length ? "你分管单位" : ""}验收 ${waitingCount} 个${waitingCount ? "：" + waiting.map((i) => `#${i.no}`).join(" ") + (waitingCount > waiting.length ? " 等" : "") : ""}`);
  lines.push(`延期申请待批 ${exts} 个`);
  lines.push(red.length ? `红色单位：${red.join("、")}` : "无红色单位");
  return lines.join("\n");
}
