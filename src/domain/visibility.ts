// Who sees what (SPEC §1), in one place. Every reply, notice, reminder, digest, circular and file asks
// here what of an item it may show to whom, and renders it with the helpers below.
//
//   full      description (title), measures, timeline, evidence, assignee, source — 督办员, 领导, the
//             item's unit's 负责人, its assignee, its reporter (anonymous items: 督办员 and 领导 only)
//   unit      an anonymous item as its unit sees it: number, unit, category, status, deadline, the
//             office's 措施, assignee, timeline — never the reporter's words (shown as 匿名反映问题)
//   headline  what a circular names (亮相揭丑 is public by design): number, unit, title (anonymous:
//             匿名反映问题), status, deadline
//   basic     number, unit, status, deadline — every other registered person
//
// Nobody ever sees who reported an anonymous item: it is not stored (Item.reporterId is null).
import type { Config } from "../config/schema.ts";
import { clip } from "../core/text.ts";
import { fmtDate, type Calendar, type Ymd } from "./calendar.ts";
import type { Org, Person } from "./org.ts";

export type Level = "basic" | "headline" | "unit" | "full";
const RANK: Record<Level, number> = { basic: 0, headline: 1, unit: 2, full: 3 };

/** True when `a` shows more than `b`. */
export const exceeds = (a: Level, b: Level): boolean => RANK[a] > RANK[b];
export const atLeast = (a: Level, b: Level): boolean => RANK[a] >= RANK[b];

/** What the rules read of an item (any query that selects these fields will do). */
export interface SeenItem {
  no: number;
  title: string;
  unitName: string | null;
  status: string;
  deadline: string | null;
  anonymous: boolean | number;
  assigneeId?: string | null;
  reporterId?: string | null;
  category?: string | null;
  measures?: string | null;
  sourceRoomId?: string | null;
  longTerm?: boolean;
  plan?: string | null;
}

/** What a group is, for its audience: its bound unit and whether it is a `circular: full` group. */
export interface RoomInfo {
  id: string;
  topic?: string;
  unitName: string | null;
  circularFull?: boolean;
}

/**
 * Who is looking:
 * - person: one person, privately (or the asker of a command)
 * - room: everyone in a group chat
 * - office: 督办员 and 领导 (a private digest, the full ledger)
 * - unit: a unit's own people, e.g. its ledger file (its items at unit level, anything else basic)
 * - public: a circular (亮相揭丑): titles of normal items, anonymous ones as 匿名反映问题
 */
export type Audience =
  | { kind: "person"; person: Person }
  | { kind: "room"; room: RoomInfo }
  | { kind: "office" }
  | { kind: "unit"; unit: string }
  | { kind: "public" };

export const personAudience = (person: Person): Audience => ({ kind: "person", person });

/** A group's audience. A group named `circular: full` in the config counts as full even before the DB knows. */
export function roomAudience(cfg: Config, room: RoomInfo): Audience {
  const full = !!room.circularFull || (!!room.topic && cfg.rooms.some((r) => r.name === room.topic && r.circular === "full"));
  return { kind: "room", room: { ...room, circularFull: full } };
}

export const isAnonymous = (item: Pick<SeenItem, "anonymous">): boolean => item.anonymous === true || item.anonymous === 1;

/** What `a` may see of `item`. */
export function levelFor(org: Org, a: Audience, item: SeenItem): Level {
  const anon = isAnonymous(item);
  const own = anon ? "unit" : "full";
  switch (a.kind) {
    case "office":
      return "full";
    case "public":
      return "headline";
    case "unit":
      return item.unitName === a.unit ? own : "basic";
    case "room": {
      if (a.room.circularFull) return "full";
      if (a.room.unitName && a.room.unitName === item.unitName) return own;
      if (!anon && item.sourceRoomId && item.sourceRoomId === a.room.id) return "full";
      return "basic";
    }
    case "person": {
      const p = a.person;
      if (org.isOffice(p)) return "full";
      const worker = (!!item.assigneeId && item.assigneeId === p.id) || org.isHeadOf(p, item.unitName);
      if (anon) return worker ? "unit" : "basic";
      if (worker || (!!item.reporterId && item.reporterId === p.id)) return "full";
      return "basic";
    }
  }
}

/** Shown in place of an anonymous report's words. */
export const ANONYMOUS_TITLE = "匿名反映问题";

/** The item's title as `a` may see it; null when it may not see any. */
export function titleFor(org: Org, a: Audience, item: SeenItem): string | null {
  return titleAt(levelFor(org, a, item), item);
}

export function titleAt(level: Level, item: SeenItem): string | null {
  if (level === "basic") return null;
  if (level === "full") return item.title;
  return isAnonymous(item) ? ANONYMOUS_TITLE : item.title;
}

/** What rendering needs besides the item: names, the calendar, today. */
export interface ViewCtx {
  org: Org;
  cal: Calendar;
  today: Ymd;
}

export function isOverdue(item: Pick<SeenItem, "deadline" | "status">, today: Ymd): boolean {
  return !!item.deadline && item.status !== "已销号" && item.deadline < today;
}

/** "整改中", "整改中·逾期3个工作日" … (visible at every level) */
export function stateText(v: ViewCtx, item: Pick<SeenItem, "deadline" | "status">): string {
  if (!isOverdue(item, v.today)) return item.status;
  const n = v.cal.workdaysBetween(item.deadline!, v.today);
  return `${item.status}·逾期${n > 0 ? n + "个工作日" : ""}`;
}

/**
 * One line: `#12 【东村】村务公开栏三个月未更新（整改中，截止3月20日，张三）`; at basic level
 * `#12 【东村】（整改中，截止3月20日）`; an anonymous item at unit level `#12 【东村】匿名反映问题（…）`.
 */
export function itemLineFor(v: ViewCtx, a: Audience, item: SeenItem, opts: { assignee?: boolean; unit?: boolean } = {}): string {
  return lineAt(v, levelFor(v.org, a, item), item, opts);
}

export function lineAt(v: ViewCtx, level: Level, item: SeenItem, opts: { assignee?: boolean; unit?: boolean } = {}): string {
  const bits = [stateText(v, item)];
  if (item.deadline) bits.push(`截止${fmtDate(item.deadline, v.today)}`);
  if ((opts.assignee ?? true) && item.assigneeId && atLeast(level, "unit")) bits.push(v.org.name(item.assigneeId));
  const title = titleAt(level, item);
  const unit = (opts.unit ?? true) && item.unitName ? `【${item.unitName}】` : "";
  const what = `${unit}${title ? clip(title, 30) : ""}`;
  return `#${item.no}${what ? " " + what : ""}（${bits.join("，")}）`;
}

/** The card /查询 and notices show, as much of it as `a` may see. */
export function cardFor(v: ViewCtx, a: Audience, item: SeenItem): string {
  return cardAt(v, levelFor(v.org, a, item), item);
}

export const BASIC_NOTE = "（问题详情仅限督办员、领导和承办单位负责人、责任人查看）";

export function cardAt(v: ViewCtx, level: Level, item: SeenItem): string {
  const title = titleAt(level, item);
  const rows = [`#${item.no}${title ? " " + title : ""}`];
  const detail = atLeast(level, "unit");
  const who = [
    `单位：${item.unitName ?? "未交办"}`,
    detail && item.assigneeId ? `责任人：${v.org.name(item.assigneeId)}` : null,
    detail && item.category ? `类别：${item.category}` : null,
  ].filter(Boolean);
  rows.push(who.join("　"));
  rows.push(`状态：${stateText(v, item)}${item.deadline ? `　截止：${fmtDate(item.deadline, v.today)}` : ""}`);
  if (detail && item.measures) rows.push(`整改措施：${item.measures}`);
  if (detail && item.longTerm && item.plan) rows.push(`长期整改计划：${item.plan}`);
  if (level === "full") rows.push(`来源：${isAnonymous(item) ? "匿名" : v.org.name(item.reporterId) || "—"}`);
  else if (detail) rows.push("来源：匿名");
  if (level === "basic") rows.push(BASIC_NOTE);
  return rows.join("\n");
}

/** May the timeline and the evidence be shown? (unit level: yes, without the reporter's words) */
export const showsTimeline = (level: Level): boolean => atLeast(level, "unit");

/**
 * Of several items, whether an answer rendered for `asker` shows a group more than it may see of any:
 * then the answer goes privately (SPEC §1, `详情已私信发给你`).
 */
export function tooMuchFor(org: Org, asker: Audience, group: Audience, items: readonly SeenItem[]): boolean {
  return items.some((i) => exceeds(levelFor(org, asker, i), levelFor(org, group, i)));
}

/** The one line a group gets when the answer went privately. */
export const SENT_PRIVATELY = "详情已私信发给你";

/** An event's detail as people read it: dates as 3月20日 (stored as 2026-03-20), a photo as 第 N 张照片. */
export function eventDetail(kind: string, detail: string, today: string): string {
  if (kind === "佐证") {
    const n = /^\d+-(\d+)\.\w+$/.exec(detail); // events recorded before photos were named so
    if (n) return `第 ${n[1]} 张照片`;
  }
  return detail.replace(/\b(\d{4}-\d{2}-\d{2})\b/g, (d) => fmtDate(d, today));
}

