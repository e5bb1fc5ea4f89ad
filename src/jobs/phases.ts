// Phase reminders: at each phase's start and 3 workdays before a hand-in date, to every unit group
// (units without a group: their 负责人, privately).
import { fmtDate, type Calendar, type Ymd } from "../domain/calendar.ts";
import type { Config } from "../config/schema.ts";
import type { Outgoing } from "../core/outbox.ts";
import type { Job } from "./types.ts";

const HANDIN_NOTICE_WORKDAYS = 3;

interface PhaseEvent {
  day: Ymd;
  period: string;
  text: string;
}

export function phaseEvents(cfg: Config, cal: Calendar): PhaseEvent[] {
  const out: PhaseEvent[] = [];
  let start = cfg.campaign.start;
  for (const p of cfg.campaign.phases) {
    const s = start;
    out.push({
      day: cal.workdayOnOrAfter(s),
      period: `${p.name}:开始`,
      text: `【阶段提醒】${cfg.campaign.name}进入「${p.name}」阶段（${fmtDate(s)}至${fmtDate(p.end)}），请各单位按方案抓好落实。`,
    });
    if (p.handIn) {
      let d = p.handIn;
      for (let n = 0; n < HANDIN_NOTICE_WORKDAYS; ) {
        d = cal.addDays(d, -1);
        if (cal.isWorkday(d)) n++;
      }
      out.push({
        day: d,
        period: `${p.name}:报送`,
        text: `【报送提醒】「${p.name}」阶段材料须于${fmtDate(p.handIn)}前报${cfg.office.short}，还有${HANDIN_NOTICE_WORKDAYS}个工作日，请各单位抓紧准备。`,
      });
    }
    start = cal.addDays(p.end, 1);
  }
  return out;
}

export const phasesJob: Job = {
  name: "phases",
  slotsOn(ymd, cfg, cal) {
    return phaseEvents(cfg, cal)
      .filter((e) => e.day === ymd)
      .map((e) => ({ at: cal.instant(ymd, cfg.reminders.at), period: e.period }));
  },
  async build(j, period) {
    const e = phaseEvents(j.cfg, j.cal).find((x) => x.period === period);
    if (!e) return { rows: [] };
    const rooms = await j.read.room.findMany({ where: { unitName: { not: null } }, orderBy: { id: "asc" } });
    const withRoom = new Set(rooms.map((r) => r.unitName));
    const rows: Outgoing[] = rooms.map((r) => ({ target: { kind: "room", id: r.id }, text: e.text, dispatchKey: `phase:room:${r.id}:${period}` }));
    const heads = new Set(j.cfg.units.filter((u) => !withRoom.has(u.name)).flatMap((u) => j.org.headsOf(u.name)));
    for (const h of [...heads].sort())
      rows.push({ target: { kind: "contact", id: h }, text: e.text, dispatchKey: `phase:contact:${h}:${period}` });
    return { rows };
  },
};
