// 跟踪督办: every workday at the configured time — before deadlines (and 长期整改 milestones), overdue
// items to the assignee and the unit's 负责人, escalation to the 分管领导 after N workdays and to the
// 督办员 after M (督查问效), extension requests waiting more than a workday. One message per person
// (or per unit group, @-mentioning only the people concerned) per run, overdue first.
import { clip } from "../core/text.ts";
import { ANONYMOUS_TITLE } from "../domain/visibility.ts";
import { fmtDate, type Ymd } from "../domain/calendar.ts";
import type { Outgoing } from "../core/outbox.ts";
import { openItemsWithDeadline, type OpenItem } from "./stats.ts";
import type { Job, JobCtx } from "./types.ts";

interface Entry {
  item: OpenItem;
  /** > 0 overdue by that many workdays; < 0 due in that many workdays; milestone: its date */
  overdue: number;
  dueIn: number;
  /** a milestone's date, or the date an extension asks for */
  date?: Ymd;
}

type Section = "unit" | "leader" | "office" | "extension";

/** The worst SHOWN overdue and the soonest SHOWN due entries of a list, and how many there are in all. */
class Capped {
  overdue: Entry[] = [];
  soon: Entry[] = [];
  overdueTotal = 0;
  soonTotal = 0;
  add(e: Entry): void {
    if (e.overdue > 0) {
      this.overdueTotal++;
      this.overdue.push(e);
      if (this.overdue.length > 4 * SHOWN) this.overdue = sorted(this.overdue).slice(0, SHOWN);
    } else {
      this.soonTotal++;
      this.soon.push(e);
      if (this.soon.length > 4 * SHOWN) this.soon = sorted(this.soon).slice(0, SHOWN);
    }
  }
  get total(): number {
    return this.overdueTotal + this.soonTotal;
  }
  shown(): Entry[] {
    return [...sorted(this.overdue).slice(0, SHOWN), ...sorted(this.soon).slice(0, SHOWN)];
  }
}

const SHOWN = 20;

export const remindersJob: Job = {
  name: "reminders",
  slotsOn(ymd, cfg, cal) {
    return cal.isWorkday(ymd) ? [{ at: cal.instant(ymd, cfg.reminders.at), period: ymd }] : [];
  },
  async build(j, day) {
    return { rows: await buildReminders(j, day) };
  },
};

const sorted = (es: Entry[]) => [...es].sort((a, b) => b.overdue - a.overdue || a.dueIn - b.dueIn || a.item.no - b.item.no);

export async function buildReminders(j: JobCtx, day: Ymd): Promise<Outgoing[]> {
  const { cfg, cal, org, read: tx } = j;
  const r = cfg.reminders;
  const maxBefore = Math.max(0, ...r.beforeWorkdays);
  const horizon = cal.addWorkdays(day, maxBefore + 1);
  const before = new Set(r.beforeWorkdays);

  // What each person (and each unit group) is told. A list shows at most SHOWN lines, so only the worst
  // few are kept, with counts: one person may be concerned by tens of thousands of items.
  const perPerson = new Map<string, Map<Section, Capped>>();
  const section = (who: string, s: Section) => {
    let m = perPerson.get(who);
    if (!m) perPerson.set(who, (m = new Map()));
    let c = m.get(s);
    if (!c) m.set(s, (c = new Capped()));
    return c;
  };
  const perUnit = new Map<string, Capped>();
  const rooms = await tx.room.findMany({ where: { unitName: { not: null } }, orderBy: { id: "asc" } });
  const roomUnits = new Set(rooms.map((x) => x.unitName!));
  const add = (who: string | null | undefined, s: Section, e: Entry) => {
    if (who) section(who, s).add(e);
  };

  const consider = (e: Entry) => {
    const it = e.item;
    const concerned = it.assigneeId ? [it.assigneeId] : [];
    if (e.overdue > 0 || !it.assigneeId) if (it.unitName) concerned.push(...org.headsOf(it.unitName));
    if (it.unitName && roomUnits.has(it.unitName)) {
      // the unit's group hears of it (and @-mentions the people concerned), not each person privately
      let c = perUnit.get(it.unitName);
      if (!c) perUnit.set(it.unitName, (c = new Capped()));
      c.add(e);
    } else for (const p of new Set(concerned)) add(p, "unit", e);
    if (e.overdue >= r.escalateLeaderAfter && it.unitName) add(org.units.get(it.unitName)?.leader, "leader", e);
    if (e.overdue >= r.escalateOfficeAfter) for (const m of org.offices()) add(m.id, "office", e);
  };

  for await (const it of openItemsWithDeadline(tx, cfg.campaign.name, horizon)) {
    // submitted and waiting for verification: nothing for the unit to do (the digest shows it to the leaders)
    if (it.status === "待验收") continue;
    const d = it.deadline!;
    if (d < day) consider({ item: it, overdue: cal.workdaysBetween(d, day), dueIn: 0 });
    else {
      const left = cal.workdaysBetween(day, cal.lastWorkdayOnOrBefore(d));
      if (before.has(left)) consider({ item: it, overdue: 0, dueIn: left });
    }
  }
  // milestones of 长期整改 items, reminded like deadlines (before they fall due)
  const milestones = await tx.milestone.findMany({
    where: { done: false, deadline: { gte: day, lte: horizon }, item: { campaign: cfg.campaign.name, status: { not: "已销号" } } },
    include: { item: { select: { no: true, title: true, anonymous: true, unitName: true, assigneeId: true, deadline: true, status: true } } },
  });
  for (const m of milestones) {
    if (m.deadline === m.item.deadline) continue; // the final milestone is the deadline itself
    const left = cal.workdaysBetween(day, cal.lastWorkdayOnOrBefore(m.deadline));
    if (before.has(left)) consider({ item: m.item, overdue: 0, dueIn: left, date: m.deadline });
  }
  // extension requests waiting for an answer for more than a workday
  const exts = await tx.extensionRequest.findMany({
    where: { status: "待审批", item: { campaign: cfg.campaign.name } },
    include: { item: { select: { no: true, title: true, anonymous: true, unitName: true, assigneeId: true, deadline: true, status: true } } },
    orderBy: { id: "asc" },
  });
  const waitingExt: { e: Entry; to: Ymd }[] = [];
  for (const x of exts) if (cal.workdaysBetween(cal.today(x.at), day) >= 1) waitingExt.push({ e: { item: x.item, overdue: 0, dueIn: 0 }, to: x.newDeadline });
  if (waitingExt.length) for (const m of org.offices()) for (const w of waitingExt) add(m.id, "extension", { ...w.e, date: w.to });

  // who sees what (SPEC §1): the unit (its group, its assignee and 负责人) sees an anonymous report as
  // 匿名反映问题, never the reporter's words; 领导 and 督办员 see it whole
  const line = (e: Entry, withUnit: boolean, unitView: boolean) => {
    const it = e.item;
    const what = e.overdue > 0 ? `逾期${e.overdue}个工作日` : e.date ? `节点${fmtDate(e.date, day)}还有${e.dueIn}个工作日` : `还有${e.dueIn}个工作日到期`;
    const bits = [what, `截止${fmtDate(it.deadline!, day)}`];
    if (it.assigneeId) bits.push(org.name(it.assigneeId));
    const title = unitView && Number(it.anonymous) ? ANONYMOUS_TITLE : clip(it.title, 30);
    return `#${it.no} ${withUnit && it.unitName ? `【${it.unitName}】` : ""}${title}（${bits.join("，")}）`;
  };

  // a phone screen, not a ledger: at most SHOWN lines per list, the rest counted
  const block = (title: string, c: Capped, withUnit: boolean, unitView: boolean) => {
    const rows: string[] = [title];
    const list = (head: string, xs: Entry[], total: number) => {
      if (!xs.length) return;
      rows.push(head, ...sorted(xs).slice(0, SHOWN).map((e) => line(e, withUnit, unitView)));
      if (total > SHOWN) rows.push(`……另有 ${total - SHOWN} 个，发送 /逾期 或 /我的 查看`);
    };
    list("逾期未销号：", c.overdue, c.overdueTotal);
    list("即将到期：", c.soon, c.soonTotal);
    return rows;
  };

  const out: Outgoing[] = [];
  const key = (t: string, id: string) => `reminder:${t}:${id}:${day}`;
  // unit groups: one message per group listing the unit's items, @-mentioning only the people concerned
  for (const [unit, c] of [...perUnit].sort(([a], [b]) => a.localeCompare(b))) {
    const mentions = new Set<string>();
    for (const e of c.shown()) {
      if (e.item.assigneeId) mentions.add(e.item.assigneeId);
      if (e.overdue > 0 || !e.item.assigneeId) org.headsOf(unit).forEach((h) => mentions.add(h));
    }
    const text = [...block(`【督办提醒】${unit} ${fmtDate(day, day)}`, c, false, true), `请抓紧整改，完成后发送 /整改 #编号 整改情况，并附照片。`].join("\n");
    for (const room of rooms.filter((x) => x.unitName === unit))
      out.push({ target: { kind: "room", id: room.id }, text, mentions: [...mentions].sort(), dispatchKey: key("room", room.id) });
  }
  // everyone else: one private message per person, with all of their sections
  for (const [who, sections] of [...perPerson].sort(([a], [b]) => a.localeCompare(b))) {
    const parts: string[] = [];
    const mine = sections.get("unit");
    if (mine) parts.push(block(`【督办提醒】你有 ${mine.total} 个问题需要关注：`, mine, true, true).join("\n") + `\n完成后发送 /整改 #编号 整改情况。`);
    const leader = sections.get("leader");
    if (leader) parts.push(block(`【分管领导督办】你分管的单位有 ${leader.total} 个问题逾期满 ${r.escalateLeaderAfter} 个工作日，请督促整改：`, leader, true, false).join("\n"));
    const office = sections.get("office");
    if (office) parts.push(block(`【督查问效】以下 ${office.total} 个问题逾期满 ${r.escalateOfficeAfter} 个工作日，经多次督办仍未落实：`, office, true, false).join("\n"));
    const ext = sections.get("extension");
    if (ext)
      parts.push(
        [
          `【延期待批】以下 ${ext.total} 个延期申请已超过 1 个工作日未答复：`,
          ...ext.shown().map((e) => `#${e.item.no} 【${e.item.unitName ?? ""}】${clip(e.item.title, 30)}（申请延至${fmtDate(e.date!, day)}）`),
          `同意：/同意延期 #编号　拒绝：/拒绝延期 #编号 原因`,
        ].join("\n"),
      );
    if (parts.length) out.push({ target: { kind: "contact", id: who }, text: parts.join("\n\n"), dispatchKey: key("contact", who) });
  }
  return out;
}
