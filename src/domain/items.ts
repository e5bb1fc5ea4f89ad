// Problems (问题) and their timeline. Every change goes through here, inside the caller's transaction,
// and writes an event: who, when, what, from which chat message.
import { distance } from "fastest-levenshtein";
import type { Tx } from "../db/client.ts";
import { empty, int, sql } from "../db/sql.ts";
import type { Item } from "../generated/prisma/client.ts";
import { UserError } from "../core/errors.ts";
import type { Target } from "../core/outbox.ts";
import { fmtDate, type Calendar, type Ymd } from "./calendar.ts";
import { refuseTransition, type Action, type State } from "./lifecycle.ts";
import type { Org, Person } from "./org.ts";
import { cardFor, isOverdue, itemLineFor, personAudience, roomAudience, stateText, titleFor, type Audience, type SeenItem, type ViewCtx } from "./visibility.ts";

export type { Item };

/** How alike two titles must be (0..1) for a report to be pointed at an open one. */
export const SIMILAR = 0.5;

/** A title compared as its letters and digits only (no spaces, punctuation; ASCII lowercased). */
export const normTitle = (s: string): string => s.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");

const bigrams = (s: string): string[] => {
  const cs = [...s];
  return cs.slice(1).map((c, i) => cs[i] + c);
};

const SIMILAR_FIELDS = { id: true, no: true, title: true, unitName: true, status: true, deadline: true, anonymous: true, assigneeId: true, reporterId: true, sourceRoomId: true, category: true } as const;
export type SimilarItem = Pick<Item, keyof typeof SIMILAR_FIELDS>;

/** Likeness of two normalised titles: the better of the bigram Dice coefficient and 1 − edit distance / length. */
export function titleLikeness(a: string, b: string): number {
  if (!a || !b) return 0;
  if (a === b) return 1;
  const x = bigrams(a);
  const y = new Map<string, number>();
  for (const g of bigrams(b)) y.set(g, (y.get(g) ?? 0) + 1);
  let shared = 0;
  for (const g of x) {
    const n = y.get(g) ?? 0;
    if (n > 0) {
      shared++;
      y.set(g, n - 1);
    }
  }
  const dice = x.length + bigrams(b).length ? (2 * shared) / (x.length + bigrams(b).length) : 0;
  const edit = 1 - distance(a, b) / Math.max([...a].length, [...b].length);
  return Math.max(dice, edit);
}

export interface EventSource {
  chatId?: string | null;
  messageKey?: string | null;
}

export class Items {
  constructor(
    private readonly tx: Tx,
    private readonly org: Org,
    private readonly cal: Calendar,
    private readonly now: Date,
    private readonly campaign: string,
    private readonly source: EventSource = {},
  ) {}

  get today(): Ymd {
    return this.cal.today(this.now);
  }

  async get(no: number): Promise<Item> {
    const item = await this.tx.item.findUnique({ where: { campaign_no: { campaign: this.campaign, no } } });
    if (!item) throw new UserError(`没有 #${no} 号问题，请发送 /我的 查看你的问题编号`);
    return item;
  }

  /** Throws the reason when `action` is not allowed in the item's state. */
  check(item: Item, action: Action): void {
    const why = refuseTransition(action, item.status as State);
    if (why) throw new UserError(`#${item.no}：${why}，${this.nextStep(item, action)}`);
  }

  /** What to do instead, when `action` is refused in the item's state (every refusal says what next). */
  private nextStep(item: Item, action: Action): string {
    const no = `#${item.no}`;
    const office = this.org.office.short;
    switch (item.status as State) {
      case "已销号":
        return `如问题反弹，请发送 /上报 重新反映`;
      case "待验收":
        return action === "整改" ? `请等待${office}验收；如需补充说明，请发送 /进展 ${no} 说明` : `请先由${office}验收（/销号 ${no}）或退回（/退回 ${no} 原因）`;
      case "待交办":
        return action === "销号" || action === "退回" ? `请先发送 /交办 ${no} @单位 截止:日期` : `请先 /认领 ${no}，或等待${office}交办`;
      default:
        return action === "销号" || action === "退回" ? `请等待承办单位发送 /整改 ${no} 提交整改情况` : `请发送 /查询 ${no} 查看办理情况`;
    }
  }

  async create(data: {
    title: string;
    category?: string | null;
    unitName?: string | null;
    assigneeId?: string | null;
    deadline?: Ymd | null;
    reporterId: string | null;
    anonymous: boolean;
    status: State;
    sourceRoomId?: string | null;
    /** sha256 of an anonymous report's 查询码 (the code itself is never stored) */
    queryCodeHash?: string | null;
    detail: string;
  }): Promise<Item> {
    const last = await this.tx.item.findFirst({ where: { campaign: this.campaign }, orderBy: { no: "desc" }, select: { no: true } });
    const item = await this.tx.item.create({
      data: {
        campaign: this.campaign,
        no: (last?.no ?? 0) + 1,
        title: data.title,
        category: data.category ?? null,
        unitName: data.unitName ?? null,
        assigneeId: data.assigneeId ?? null,
        deadline: data.deadline ?? null,
        reporterId: data.anonymous ? null : data.reporterId,
        anonymous: data.anonymous,
        status: data.status,
        sourceRoomId: data.anonymous ? null : (data.sourceRoomId ?? null),
        queryCodeHash: data.anonymous ? (data.queryCodeHash ?? null) : null,
        createdAt: this.now,
      },
    });
    await this.event(item, data.anonymous ? null : data.reporterId, data.anonymous ? "匿名上报" : "上报", data.detail, data.anonymous);
    return item;
  }

  async update(item: Item, data: Partial<Omit<Item, "id" | "no" | "campaign">>): Promise<Item> {
    return this.tx.item.update({ where: { id: item.id }, data });
  }

  /**
   * Record an event. `item` is the item as the event leaves it: its status, unit, assignee and deadline
   * are kept with the event, so any earlier instant can be reconstructed (circulars "as of" month end).
   * For an anonymous report neither actor nor message key is stored.
   */
  async event(item: Item, actorId: string | null, kind: string, detail = "", anonymous = false): Promise<number> {
    const ev = await this.tx.event.create({
      data: {
        itemId: item.id,
        at: this.now,
        actorId,
        kind,
        detail,
        chatId: anonymous ? null : (this.source.chatId ?? null),
        messageKey: anonymous ? null : (this.source.messageKey ?? null),
        toStatus: item.status,
        toUnit: item.unitName,
        toAssignee: item.assigneeId,
        toDeadline: item.deadline,
      },
    });
    return ev.id;
  }

  /**
   * What to say beside an accepted deadline (SPEC §3): a year the calendar does not know yet (workdays
   * counted Monday to Friday until calendar.extraHolidays is filled in), a day after the campaign's end.
   * "" or lines starting with a newline.
   */
  deadlineNotes(...days: Ymd[]): string {
    const notes: string[] = [];
    const years = [...new Set(days.map((d) => +d.slice(0, 4)))].filter((y) => !this.cal.knowsYear(y));
    for (const y of years) notes.push(`（提示：系统还没有 ${y} 年的法定节假日和调休安排，${y} 年暂按周一至周五计算工作日；国务院放假通知发布后，请在配置文件 calendar.extraHolidays / extraWorkdays 中补上）`);
    const end = this.org.cfg.campaign.end;
    const late = days.filter((d) => d > end).sort().at(-1);
    if (late) notes.push(`（提示：截止日期 ${fmtDate(late, this.today)} 晚于本次整顿结束日期 ${fmtDate(end, this.today)}，已照此登记；如有误请重新交办）`);
    return notes.map((n) => "\n" + n).join("");
  }

  /** A new deadline must not lie in the past. */
  checkDeadline(d: Ymd): void {
    if (d < this.today) throw new UserError(`截止日期 ${fmtDate(d, this.today)} 已经过去，请重新填写`, true);
  }

  /** Tell the 督办员 (privately): new reports to assign, rectifications to verify, extensions to answer. */
  async tellOffice(text: string, except?: string): Promise<{ target: Target; text: string }[]> {
    return this.org
      .offices()
      .filter((m) => m.id !== except)
      .map((m) => ({ target: { kind: "contact" as const, id: m.id }, text }));
  }

  /** Days overdue in workdays (0 when not overdue). */
  overdueBy(item: Pick<Item, "deadline" | "status">): number {
    if (!item.deadline || item.status === "已销号" || item.deadline >= this.today) return 0;
    return this.cal.workdaysBetween(item.deadline, this.today);
  }

  isOverdue(item: Pick<Item, "deadline" | "status">): boolean {
    return isOverdue(item, this.today);
  }

  /** "整改中", "整改中·逾期3个工作日" … */
  stateText(item: Item): string {
    return stateText(this.view, item);
  }

  /** What rendering for an audience needs (src/domain/visibility.ts). */
  get view(): ViewCtx {
    return { org: this.org, cal: this.cal, today: this.today };
  }

  /** One line, as much as `a` may see: #12【东村】村务公开栏三个月未更新（整改中，截止3月20日，张三） */
  line(a: Audience, item: SeenItem, opts?: { assignee?: boolean; unit?: boolean }): string {
    return itemLineFor(this.view, a, item, opts);
  }

  /** The card /查询 and notices show, as much as `a` may see. */
  card(a: Audience, item: SeenItem): string {
    return cardFor(this.view, a, item);
  }

  /** The item's title as `a` may see it ("" when not at all). */
  title(a: Audience, item: SeenItem): string {
    return titleFor(this.org, a, item) ?? "";
  }

  /**
   * Separation of duties (SPEC §1) over the whole history: nobody who ever submitted a rectification of
   * the item (any 整改 event, in any round, also before a /退回), nor its assignee, nor its unit's 负责人
   * may close it. Throws the reason, one line.
   */
  async assertMayClose(item: Item, p: Person): Promise<void> {
    const no = `#${item.no}`;
    const submitted = await this.tx.event.findFirst({ where: { itemId: item.id, kind: "整改", actorId: p.id }, select: { id: true } });
    if (submitted || item.submitterId === p.id) throw new UserError(`你是 ${no} 整改的提交人，不能自己销号，请由其他督办员或领导验收`);
    if (item.assigneeId === p.id) throw new UserError(`你是 ${no} 的责任人，不能自己销号，请由其他督办员或领导验收`);
    if (item.unitName && (this.org.isHeadOf(p, item.unitName) || this.org.headsOf(item.unitName).includes(p.id)))
      throw new UserError(`你是 ${no} 承办单位${item.unitName}的负责人，不能销号本单位的问题，请由其他督办员或领导验收`);
  }

  /** Where news about a unit goes: its bound groups, else privately to its 负责人. */
  /** With each target, its audience: render what goes there with it (the group's or the person's view). */
  async unitTargets(unit: string, mention: string[]): Promise<{ target: Target; mentions: string[]; audience: Audience }[]> {
    const rooms = await this.tx.room.findMany({ where: { unitName: unit }, orderBy: { id: "asc" } });
    if (rooms.length)
      return rooms.map((r) => ({ target: { kind: "room" as const, id: r.id }, mentions: mention, audience: roomAudience(this.org.cfg, r) }));
    const ids = mention.length ? mention : this.org.headsOf(unit);
    return ids.map((id) => ({ target: { kind: "contact" as const, id }, mentions: [], audience: personAudience(this.org.person(id)) }));
  }

  /**
   * Everyone concerned with what just happened to an item (销号, 退回 …), each once, with the audience to
   * render for: the unit's group(s), @-mentioning its assignee, 负责人 and submitter (the people of the
   * unit hear it there, as reminders do); a unit without a group: those people privately. `also` (e.g. the
   * reporter) privately, unless already reached. Never `except` (who caused it: they have the reply).
   */
  async concerned(item: Item, o: { except?: string; also?: (string | null | undefined)[] } = {}): Promise<{ target: Target; mentions: string[]; audience: Audience }[]> {
    const people = [...new Set([item.assigneeId, item.submitterId, ...(item.unitName ? this.org.headsOf(item.unitName) : [])])].filter(
      (id): id is string => !!id && id !== o.except,
    );
    const out: { target: Target; mentions: string[]; audience: Audience }[] = [];
    const rooms = item.unitName ? await this.tx.room.findMany({ where: { unitName: item.unitName }, orderBy: { id: "asc" } }) : [];
    for (const r of rooms) out.push({ target: { kind: "room", id: r.id }, mentions: people, audience: roomAudience(this.org.cfg, r) });
    const reached = new Set<string>(o.except ? [o.except] : []);
    const privately = (id: string) => {
      if (reached.has(id)) return;
      reached.add(id);
      out.push({ target: { kind: "contact", id }, mentions: [], audience: personAudience(this.org.person(id)) });
    };
    if (rooms.length) people.forEach((id) => reached.add(id));
    else people.forEach(privately);
    for (const id of o.also ?? []) if (id) privately(id);
    return out;
  }

  /**
   * Open items of the campaign whose title is like `title` (same unit, or either without one): the
   * most recent `cap` open items, titles normalised, compared by shared character bigrams and edit
   * distance. Best first, at most 3.
   */
  async similar(title: string, unit: string | null | undefined, exceptId: number, cap = 200): Promise<SimilarItem[]> {
    const a = normTitle(title);
    if (a.length < 4) return [];
    // on every /上报: only id and title of the newest open items (the (campaign, no) index, no sorting),
    // then the few that match in full
    const open = await this.tx.$queryRaw<{ id: number | bigint; title: string }[]>`
      SELECT "id", "title" FROM "Item" WHERE "campaign" = ${this.campaign} AND "status" <> '已销号' AND "id" <> ${exceptId} ${unit ? sql`AND ("unitName" = ${unit} OR "unitName" IS NULL)` : empty} ORDER BY "no" DESC LIMIT ${int(Math.floor(cap))}`;
    const best = open
      .map((i) => ({ id: Number(i.id), score: titleLikeness(a, normTitle(i.title)) }))
      .filter((x) => x.score >= SIMILAR)
      .sort((x, y) => y.score - x.score || x.id - y.id)
      .slice(0, 3);
    if (!best.length) return [];
    const rows = await this.tx.item.findMany({ where: { id: { in: best.map((b) => b.id) } }, select: SIMILAR_FIELDS });
    return best.map((b) => rows.find((r) => r.id === b.id)!).filter(Boolean);
  }

  /** May `p` work on the item (progress, rectify, extend)? The assignee and the unit's 负责人 may. */
  assertWorker(item: Item, p: Person, what: string): void {
    if (item.assigneeId === p.id || this.org.isHeadOf(p, item.unitName)) return;
    const head = `${item.unitName ?? "承办单位"}负责人`;
    const who = item.assigneeId ? `责任人${this.org.name(item.assigneeId)}或${head}` : head;
    throw new UserError(`只有${who}可以${what} #${item.no}，请联系他们办理`);
  }
}
