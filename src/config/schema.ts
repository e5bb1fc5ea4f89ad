// duban.yaml, exactly as SPEC §5. Every message is Chinese and names the field.
import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";

export const ROLES = ["领导", "督办员", "负责人", "干部"] as const;
export type Role = (typeof ROLES)[number];

/** One message for one bad date, saying what to write instead (`2026-9-1` → `2026-09-01`). */
export function dateProblem(s: string): string | undefined {
  const t = s.normalize("NFKC").trim();
  const valid = (y: number, m: number, d: number) => {
    const x = new Date(Date.UTC(y, m - 1, d));
    return x.getUTCFullYear() === y && x.getUTCMonth() === m - 1 && x.getUTCDate() === d;
  };
  const pad = (n: number) => String(n).padStart(2, "0");
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) {
    const [y, mo, d] = [+m[1], +m[2], +m[3]];
    if (valid(y, mo, d)) return undefined;
    return mo < 1 || mo > 12 ? `${s} 不是有效日期（月份只能是 01～12）` : `${s} 这一天不存在（${y} 年 ${mo} 月没有 ${d} 日）`;
  }
  m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(t);
  if (m && valid(+m[1], +m[2], +m[3])) return `${s} 不是 YYYY-MM-DD 格式，应写成 ${m[1]}-${pad(+m[2])}-${pad(+m[3])}`;
  if (m) return `${s} 不是有效日期，应写成 YYYY-MM-DD 格式，如 2026-09-01`;
  return `「${s}」不是日期，应写成 YYYY-MM-DD 格式，如 2026-09-01`;
}
export const isDate = (s: unknown): s is string => typeof s === "string" && dateProblem(s) === undefined;

const ymd = z
  .string({
    // start: 20260901 is read as a number
    error: (iss) =>
      typeof iss.input === "number" && /^\d{8}$/.test(String(iss.input))
        ? `${iss.input} 不是 YYYY-MM-DD 格式，应写成 ${String(iss.input).replace(/^(\d{4})(\d{2})(\d{2})$/, "$1-$2-$3")}`
        : "应写成 YYYY-MM-DD 格式的日期，如 2026-09-01",
  })
  .superRefine((s, ctx) => {
  const problem = dateProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const hhmm = z.string({ error: "应为时间，如 \"09:00\"" }).superRefine((s, ctx) => {
  if (/^([01]\d|2[0-3]):[0-5]\d$/.test(s)) return;
  const m = /^(\d):([0-5]\d)$/.exec(s.normalize("NFKC").trim());
  ctx.addIssue({ code: "custom", message: m ? `${s} 应写成 "0${m[1]}:${m[2]}"` : `「${s}」不是时间，应写成 "09:00" 这样` });
});
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
  /** the group's chat id on the platform (the 智能机器人's chatid), when Duban cannot learn it from the group itself */
  chatid: z.string({ error: "应为群的 chatid（文字）" }).trim().min(1, { error: "不能为空" }).max(128, { error: "不能超过 128 个字符" }).optional(),
  /** the key of the group's 群机器人 (or its whole webhook address): Duban sends to this group through it */
  webhook: z.string({ error: "应为群机器人的 key 或 Webhook 地址（文字）" }).trim().min(1, { error: "不能为空" }).optional(),
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
        { error: "不是有效的时区，中国的时区写 Asia/Shanghai" },
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
  // Cross-checks. They run even when some value is wrong (a bad role must not hide a head who is not a
  // member), so they read the values defensively and skip whatever is itself wrong: that is reported
  // once, where it is, and not again as a knock-on here.
  .superRefine(
    (cfg, ctx) => {
      const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
      const c = rec(cfg);
      const campaign = rec(c.campaign);
      const members = list(c.members).map(rec);
      const units = list(c.units).map(rec);
      // members: ids and names
      const ids = new Map<string, number>();
      members.forEach((m, i) => {
        const id = text(m.id);
        if (id === undefined) return;
        const j = ids.get(id);
        if (j !== undefined) issue(["members", i, "id"], `成员 id「${id}」重复：第 ${j + 1} 个成员（${text(members[j].name) ?? id}）已经用了这个 id，每个人的 id 必须不同`);
        else ids.set(id, i);
      });
      const idsKnown = Array.isArray(c.members) && members.every((m) => text(m.id) !== undefined);
      /** what to say about an id that is not a member's: the member of that name, or the nearest id */
      const notAMember = (what: string, key: string, id: string): string => {
        const byName = members.filter((m) => text(m.name) === id.trim());
        if (byName.length === 1) return `${what}写的是「${id}」，成员里${id.trim()}的 id 是 ${text(byName[0].id)}，应写 ${key}: ${text(byName[0].id)}`;
        const near = nearest(id, [...ids.keys()]);
        if (near) return `${what}写的是「${id}」，成员里没有这个 id，你是不是想写 ${near}（${text(members[ids.get(near)!].name) ?? near}）？`;
        return `${what}写的是「${id}」，成员 members 里没有这个 id；请写成员的 id，或先在 members 里加上此人`;
      };
      // units: names, heads, leaders
      const unitNames = new Map<string, number>();
      units.forEach((u, i) => {
        const name = text(u.name);
        if (name === undefined) return;
        if (unitNames.has(name)) issue(["units", i, "name"], `单位「${name}」重复：第 ${unitNames.get(name)! + 1} 个单位已经叫这个名字`);
        else unitNames.set(name, i);
      });
      const unitsKnown = Array.isArray(c.units) && units.every((u) => text(u.name) !== undefined);
      const roles = (m: Record<string, unknown>) => list(m.roles);
      units.forEach((u, i) => {
        const name = text(u.name);
        const head = typeof u.head === "string" ? u.head : undefined;
        const leader = typeof u.leader === "string" ? u.leader : undefined;
        if (head !== undefined && !ids.has(head)) {
          if (idsKnown) issue(["units", i, "head"], notAMember("负责人", "head", head));
        } else if (head !== undefined && name !== undefined) {
          const m = members[ids.get(head)!];
          const its = text(m.unit);
          // a member of a unit the file does not know is reported once, at the member (below)
          if (its !== undefined && its !== name && unitNames.has(its)) {
            const own = members.filter((x) => text(x.unit) === name && roles(x).includes("负责人"));
            const hint = own.length === 1 ? `，${name}标了负责人的成员是${text(own[0].name)}（${text(own[0].id)}），应写 head: ${text(own[0].id)}` : `，请填${name}自己成员的 id`;
            issue(["units", i, "head"], `负责人「${text(m.name) ?? head}（${head}）」属于${its}，不能兼任${name}的负责人${hint}`);
          }
        }
        if (leader !== undefined && !ids.has(leader) && idsKnown) issue(["units", i, "leader"], notAMember("分管领导", "leader", leader));
      });
      // a unit name the members use that units does not have: one message per name, not one per member
      const unknownUnits = new Map<string, number[]>();
      members.forEach((m, i) => {
        const unit = typeof m.unit === "string" ? m.unit : undefined;
        if (unit !== undefined && !unitNames.has(unit) && unitsKnown) unknownUnits.set(unit, [...(unknownUnits.get(unit) ?? []), i]);
        if (roles(m).includes("负责人") && m.unit === undefined)
          issue(["members", i, "roles"], `「${text(m.name) ?? text(m.id)}」是负责人，但没有写所属单位，请加上 unit: 单位名称`);
      });
      for (const [name, who] of unknownUnits) {
        // a unit misspelt in units (西材 for 西村) has no members of its own: the mistake is there
        const empty = nearest(name, [...unitNames.keys()].filter((u) => !members.some((m) => m.unit === u)));
        const near = nearest(name, [...unitNames.keys()]);
        const others = who.length > 1 ? `（共 ${who.length} 个成员这样写：${who.map((i) => text(members[i].name)).join("、")}）` : "";
        const hint = empty ? `；units 里有「${empty}」，是不是那里写错了？` : near ? `，你是不是想写 ${near}？` : "，请先在 units 里加上这个单位";
        issue(["members", who[0], "unit"], `单位「${name}」不在 units 名单中${others}${hint}`);
      }
      const codes = new Map<string, number>();
      list(campaign.categories).map(rec).forEach((cat, i) => {
        for (const w of [cat.code, ...list(cat.aliases)]) {
          if (typeof w !== "string") continue;
          if (codes.has(w) && codes.get(w) !== i) issue(["campaign", "categories", i], `类别代码或别名「${w}」重复：第 ${codes.get(w)! + 1} 个类别已经用了`);
          else codes.set(w, i);
        }
      });
      // dates: only dates that are themselves right are compared (a wrong one is reported once, where it is)
      const start = isDate(campaign.start) ? campaign.start : undefined;
      const end = isDate(campaign.end) ? campaign.end : undefined;
      const backwards = start !== undefined && end !== undefined && end < start;
      if (backwards) issue(["campaign", "end"], `结束日期 ${end} 早于开始日期 ${start}`);
      let prev: { date: string; name: string } | undefined;
      list(campaign.phases).map(rec).forEach((p, i) => {
        if (!isDate(p.end)) return;
        const at = ["campaign", "phases", i, "end"];
        const name = text(p.name) ?? `第 ${i + 1} 个`;
        if (!backwards && start !== undefined && p.end < start) return issue(at, `阶段「${name}」的结束日期 ${p.end} 早于整顿开始日期 ${start}（campaign 的 start）`);
        if (!backwards && end !== undefined && p.end > end) return issue(at, `阶段「${name}」的结束日期 ${p.end} 晚于整顿结束日期 ${end}（campaign 的 end）`);
        if (prev !== undefined && p.end < prev.date)
          return issue(at, `阶段「${name}」的结束日期 ${p.end} 早于上一阶段「${prev.name}」的结束日期 ${prev.date}，阶段要按时间先后排列`);
        prev = { date: p.end, name };
      });
      // a name (current or former) belongs to one unit; a group to one unit
      const claimed = new Map<string, string>();
      units.forEach((u, i) => {
        list(u.renamedFrom).forEach((old, j) => {
          if (typeof old !== "string" || old === u.name) return;
          const by = unitNames.has(old) ? old : claimed.get(old);
          if (by !== undefined) issue(["units", i, "renamedFrom", j], `旧名「${old}」已被${by === old ? "现有单位" : `单位「${by}」`}使用，不能再作为${text(u.name)}的原名`);
          else if (text(u.name) !== undefined) claimed.set(old, text(u.name)!);
        });
      });
      const groups = new Map<string, string>();
      units.forEach((u, i) => {
        const name = text(u.name);
        if (name === undefined) return;
        list(u.rooms).forEach((g, j) => {
          if (typeof g !== "string") return;
          const other = groups.get(g);
          if (other !== undefined && other !== name) issue(["units", i, "rooms", j], `群「${g}」已绑定到${other}，一个群只能属于一个单位`);
          else groups.set(g, name);
        });
      });
      const roomNames = new Set<string>();
      const chatids = new Map<string, string>();
      list(c.rooms).map(rec).forEach((r, i) => {
        if (typeof r.name !== "string") return;
        if (roomNames.has(r.name)) issue(["rooms", i, "name"], `群「${r.name}」重复`);
        roomNames.add(r.name);
        if (typeof r.chatid !== "string") return;
        const other = chatids.get(r.chatid.trim());
        if (other !== undefined) issue(["rooms", i, "chatid"], `chatid ${r.chatid} 已是群「${other}」的，一个 chatid 只能对应一个群`);
        else chatids.set(r.chatid.trim(), r.name);
      });
    },
    { when: () => true },
  );

const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const rec = (x: unknown): Record<string, unknown> => (x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
/** a name or id as written (a number the YAML read as one counts: its type is reported on its own) */
const text = (x: unknown): string | undefined => (typeof x === "string" ? x : typeof x === "number" ? String(x) : undefined);

/**
 * The nearest of `options` to `word`, if near enough to be a likely slip: the same but for case or
 * full-width letters, or a typing distance of 1 (2 for words of 4 or more letters).
 */
export function nearest(word: string, options: readonly string[]): string | undefined {
  const norm = (s: string) => s.normalize("NFKC").trim().toLowerCase();
  const w = norm(word);
  const same = options.find((o) => norm(o) === w);
  if (same !== undefined) return same;
  if (!w || !options.length) return undefined;
  const near = closest(w, options.map(norm));
  const i = options.map(norm).indexOf(near);
  return distance(w, near) <= (w.length >= 4 ? 2 : 1) ? options[i] : undefined;
}

/** The keys allowed in the map at `path` of the file (list indexes as numbers), e.g. ["units", 0] → name, kind, head… */
export function keysAt(path: readonly (string | number)[]): string[] | undefined {
  let s: any = baseSchema;
  const unwrap = () => {
    while (["optional", "default", "nullable", "pipe", "prefault"].includes(s?._zod?.def?.type)) s = s._zod.def.type === "pipe" ? s._zod.def.in : s._zod.def.innerType;
  };
  for (const p of path) {
    unwrap();
    const def = s?._zod?.def;
    if (typeof p === "number") s = def?.type === "array" ? def.element : def?.type === "tuple" ? def.items[p] : undefined;
    else s = def?.type === "object" ? def.shape[p] : undefined;
    if (!s) return undefined;
  }
  unwrap();
  return s?._zod?.def?.type === "object" ? Object.keys(s._zod.def.shape) : undefined;
}

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
export type RoomConfig = Config["rooms"][number];

/**
 * The chat id Duban knows a configured group by before any message from it arrived: its `chatid`, else,
 * for a group reached only through its 群机器人, `webhook:<name>`. Undefined: Duban learns the id from the
 * chat itself (Wechaty gives group names; the 智能机器人 does not, there `/绑定` or `chatid` is needed).
 */
export function configuredRoomId(r: RoomConfig): string | undefined {
  return r.chatid ?? (r.webhook ? `webhook:${r.name}` : undefined);
}
