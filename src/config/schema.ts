// duban.yaml, exactly as SPEC §5. Every message is Chinese and names the field.
import { z } from "zod";

export const ROLES = ["领导", "督办员", "负责人", "干部"] as const;
export type Role = (typeof ROLES)[number];

const ymd = z
  .string({ error: "应为日期，如 2026-03-20" })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "应为日期，如 2026-03-20" })
  .refine((s) => !Number.isNaN(Date.parse(s + "T00:00:00Z")) && new Date(s + "T00:00:00Z").toISOString().startsWith(s), {
    error: "不是有效日期",
  });
const hhmm = z.string({ error: "应为时间，如 09:00" }).regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "应为时间，如 09:00" });
const name = z.string({ error: "应为文字" }).trim().min(1, { error: "不能为空" }).max(60, { error: "不能超过 60 个字" });

const phase = z.strictObject({ name, end: ymd, handIn: ymd.optional() });
const category = z.strictObject({
  code: name,
  name: z.string({ error: "应为文字" }).min(1, { error: "不能为空" }),
  aliases: z.array(name).default([]),
  special: z.boolean({ error: "应为 true 或 false" }).default(false),
});
const unit = z.strictObject({
  name,
  kind: z.enum(["村", "社区", "部门"], { error: "应为 村、社区 或 部门" }),
  head: z.string({ error: "应为成员 id" }).optional(),
  leader: z.string({ error: "应为成员 id" }).optional(),
  rooms: z.array(name).default([]),
  /** former names of this unit: at start-up their items and groups move to this one */
  renamedFrom: z.array(name).default([]),
});
const member = z.strictObject({
  id: z.string({ error: "应为聊天账号 id" }).trim().min(1, { error: "不能为空" }).max(100),
  name,
  unit: z.string({ error: "应为单位名称" }).optional(),
  roles: z.array(z.enum(ROLES, { error: `角色只能是 ${ROLES.join("、")}` })).default(["干部"]),
});
/** `circular: true` gets the circular's text and chart; `full` also the full ledger (leaders and office staff only) */
const room = z.strictObject({
  name,
  circular: z.union([z.boolean(), z.literal("full")], { error: "应为 true、false 或 full" }).default(false),
});
/** who signs circulars and is named in replies; defaults derived from `org` */
const office = z.strictObject({ name: name.optional(), short: name.optional() });

const baseSchema = z
  .strictObject({
    org: name,
    timezone: z
      .string({ error: "应为时区，如 Asia/Shanghai" })
      .default("Asia/Shanghai")
      .refine(
        (tz) => {
          try {
            new Intl.DateTimeFormat("en", { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        },
        { error: "不是有效的时区" },
      ),
    campaign: z.strictObject({
      name,
      start: ymd,
      end: ymd,
      phases: z.array(phase).default([]),
      categories: z.array(category).min(1, { error: "至少要有一个问题类别" }),
    }),
    units: z.array(unit).min(1, { error: "至少要有一个单位" }),
    members: z.array(member).min(1, { error: "至少要有一个成员" }),
    rooms: z.array(room).default([]),
    reminders: z
      .strictObject({
        beforeWorkdays: z.array(z.number().int().min(1).max(30)).default([3, 1]),
        at: hhmm.default("09:00"),
        escalateLeaderAfter: z.number().int().min(1).default(3),
        escalateOfficeAfter: z.number().int().min(1).default(7),
        quiet: z.tuple([hhmm, hhmm]).default(["21:00", "08:00"]),
      })
      .default({ beforeWorkdays: [3, 1], at: "09:00", escalateLeaderAfter: 3, escalateOfficeAfter: 7, quiet: ["21:00", "08:00"] }),
    schedule: z
      .strictObject({
        weeklyDigest: z
          .string({ error: "应为 cron 表达式，如 \"30 8 * * 1\"（周一 8:30）" })
          .regex(/^([0-5]?\d) ([01]?\d|2[0-3]) \* \* [0-7](,[0-7])*$/, { error: "只支持「分 时 * * 星期」形式，如 \"30 8 * * 1\"（周一 8:30）" })
          .default("30 8 * * 1"),
        monthlyCircularWorkday: z.number().int().min(1).max(20).default(3),
        /** the circular's draft goes to the 督办员 and 领导 first; published on /通报 发布 (SPEC §4) */
        circularReview: z.boolean({ error: "应为 true 或 false" }).default(true),
      })
      .default({ weeklyDigest: "30 8 * * 1", monthlyCircularWorkday: 3, circularReview: true }),
    status: z
      .strictObject({
        greenCompletion: z.number().min(0).max(1).default(0.8),
        yellowDueWithinWorkdays: z.number().int().min(0).default(3),
      })
      .default({ greenCompletion: 0.8, yellowDueWithinWorkdays: 3 }),
    /** what the sender may do per chat (defaults safe for WeCom: ≤ 2,000 bytes a message, 20 a minute) */
    sending: z
      .strictObject({
        maxBytes: z.number({ error: "应为字节数" }).int().min(200, { error: "至少 200 字节" }).max(20_000, { error: "至多 20000 字节" }).default(2000),
        perTargetPerMinute: z.number({ error: "应为每分钟条数" }).int().min(1, { error: "至少 1 条" }).max(600, { error: "至多 600 条" }).default(20),
      })
      .default({ maxBytes: 2000, perTargetPerMinute: 20 }),
    calendar: z
      .strictObject({ extraHolidays: z.array(ymd).default([]), extraWorkdays: z.array(ymd).default([]) })
      .default({ extraHolidays: [], extraWorkdays: [] }),
    office: office.optional(),
  })
  .superRefine((c, ctx) => {
    const ids = new Map<string, number>();
    c.members.forEach((m, i) => {
      if (ids.has(m.id)) ctx.addIssue({ code: "custom", path: ["members", i, "id"], message: `成员 id「${m.id}」重复（第 ${ids.get(m.id)! + 1} 个成员已用）` });
      else ids.set(m.id, i);
    });
    const units = new Map<string, number>();
    c.units.forEach((u, i) => {
      if (units.has(u.name)) ctx.addIssue({ code: "custom", path: ["units", i, "name"], message: `单位「${u.name}」重复` });
      else units.set(u.name, i);
      if (u.head !== undefined && !ids.has(u.head))
        ctx.addIssue({ code: "custom", path: ["units", i, "head"], message: `负责人「${u.head}」不在 members 名单中` });
      else if (u.head !== undefined) {
        const m = c.members[ids.get(u.head)!];
        if (m.unit !== undefined && m.unit !== u.name)
          ctx.addIssue({ code: "custom", path: ["units", i, "head"], message: `负责人「${m.name}（${u.head}）」属于${m.unit}，不能兼任${u.name}的负责人（是不是填错了 id？）` });
      }
      if (u.leader !== undefined && !ids.has(u.leader))
        ctx.addIssue({ code: "custom", path: ["units", i, "leader"], message: `分管领导「${u.leader}」不在 members 名单中` });
    });
    c.members.forEach((m, i) => {
      if (m.unit !== undefined && !units.has(m.unit))
        ctx.addIssue({ code: "custom", path: ["members", i, "unit"], message: `单位「${m.unit}」不在 units 名单中` });
      if (m.roles.includes("负责人") && m.unit === undefined)
        ctx.addIssue({ code: "custom", path: ["members", i, "roles"], message: `「${m.name}」是负责人，但没有填写所属单位 unit` });
    });
    const codes = new Map<string, number>();
    c.campaign.categories.forEach((cat, i) => {
      for (const w of [cat.code, ...cat.aliases]) {
        if (codes.has(w)) ctx.addIssue({ code: "custom", path: ["campaign", "categories", i], message: `类别代码或别名「${w}」重复` });
        codes.set(w, i);
      }
    });
    if (c.campaign.end < c.campaign.start)
      ctx.addIssue({ code: "custom", path: ["campaign", "end"], message: `结束日期 ${c.campaign.end} 早于开始日期 ${c.campaign.start}` });
    let prev = c.campaign.start;
    c.campaign.phases.forEach((p, i) => {
      if (p.end < prev) ctx.addIssue({ code: "custom", path: ["campaign", "phases", i, "end"], message: `阶段「${p.name}」的结束日期 ${p.end} 早于上一阶段或活动开始 ${prev}` });
      prev = p.end;
    });
    // a name (current or former) belongs to one unit; a group to one unit
    const claimed = new Map<string, string>();
    c.units.forEach((u, i) => {
      u.renamedFrom.forEach((old, j) => {
        if (old === u.name) return;
        const by = units.has(old) ? old : claimed.get(old);
        if (by !== undefined) ctx.addIssue({ code: "custom", path: ["units", i, "renamedFrom", j], message: `旧名「${old}」已被${by === old ? "现有单位" : `单位「${by}」`}使用，不能再作为${u.name}的原名` });
        else claimed.set(old, u.name);
      });
    });
    const groups = new Map<string, string>();
    c.units.forEach((u, i) => {
      u.rooms.forEach((g, j) => {
        const other = groups.get(g);
        if (other !== undefined && other !== u.name)
          ctx.addIssue({ code: "custom", path: ["units", i, "rooms", j], message: `群「${g}」已绑定到${other}，一个群只能属于一个单位` });
        else groups.set(g, u.name);
      });
    });
    const roomNames = new Set<string>();
    c.rooms.forEach((r, i) => {
      if (roomNames.has(r.name)) ctx.addIssue({ code: "custom", path: ["rooms", i, "name"], message: `群「${r.name}」重复` });
      roomNames.add(r.name);
    });
  });

/** The parsed config, with the office's names filled in from `org` where the file leaves them out. */
export const configSchema = baseSchema.transform((c) => ({
  ...c,
  office: {
    name: c.office?.name ?? `${c.org}干部作风整顿工作领导小组办公室`,
    short: c.office?.short ?? "作风整顿办",
  },
}));

export type Config = z.output<typeof configSchema>;
export type UnitConfig = Config["units"][number];
export type MemberConfig = Config["members"][number];
