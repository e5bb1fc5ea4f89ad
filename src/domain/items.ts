// Problems (问题) and their timeline. Every change goes through here, inside the caller's transaction,
// and writes an event: who, when, what, from which chat message.
import type { Tx } from "../db/client.ts";
import type { Item } from "../generated/prisma/client.ts";
import { UserError } from "../core/errors.ts";
import type { Target } from "../core/outbox.ts";
import { fmtDate, type Calendar, type Ymd } from "./calendar.ts";
import { refuseTransition, type Action, type State } from "./lifecycle.ts";
import type { Org, Person } from "./org.ts";
import { cardFor, isOverdue, itemLineFor, personAudience, roomAudience, stateText, titleFor, type Audience, type SeenItem, type ViewCtx } from "./visibility.ts";

export type { Item };

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
    if (!item) throw new UserError(`没有 #${no} 号问题，请用 /查询 或 /我的 核对编号`);
    return item;
  }

  /** Throws the reason when `action` is not allowed in the item's state. */
  check(item: Item, action: Action): void {
    const why = refuseTransition(action, item.status as State);
    if (why) throw new UserError(`#${item.no}：${why}`);
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

  /** May `p` work on the item (progress, rectify, extend)? The assignee and the unit's 负责人 may. */
  assertWorker(item: Item, p: Person, what: string): void {
    if (item.assigneeId === p.id || this.org.isHeadOf(p, item.unitName)) return;
    const head = `${item.unitName ?? "承办单位"}负责人`;
    const who = item.assigneeId ? `责任人${this.org.name(item.assigneeId)}或${head}` : head;
    throw new UserError(`只有${who}可以${what} #${item.no}`);
  }
}
