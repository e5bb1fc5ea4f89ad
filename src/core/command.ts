// What a command file declares. The core reads these declarations; it knows no command by name.
import { z } from "zod";
import type { Role } from "../config/schema.ts";
import type { Org, Person } from "../domain/org.ts";
import type { Calendar, Ymd } from "../domain/calendar.ts";
import { parseDate } from "./dates.ts";
import type { ParsedArgs } from "./parse.ts";
import type { Ctx } from "./context.ts";
import type { Tx } from "../db/client.ts";

/**
 * Who may use a command (checked by the core before anything runs). Rules that depend on the item
 * (assignee, the unit's 负责人, not the submitter) are checked by the domain, with a reason.
 */
export type Rule = "anyone" | "registered" | "office" | "head" | "officeOrHead";

export const RULE_TEXT: Record<Rule, string> = {
  anyone: "所有人",
  registered: "名册内人员",
  office: "督办员、领导",
  head: "负责人",
  officeOrHead: "督办员、领导、负责人",
};

/** What /帮助 lists for `p`: allowed by its rule and offered to them. */
export function offered(c: Pick<CommandDef, "who" | "offer">, p: Person): boolean {
  return allowed(c.who, p) && (c.offer?.(p) ?? true);
}

export function allowed(rule: Rule, p: Person): boolean {
  switch (rule) {
    case "anyone":
      return true;
    case "registered":
      return !!p.member;
    case "office":
      return p.roles.has("督办员") || p.roles.has("领导");
    case "head":
      return p.roles.has("负责人");
    case "officeOrHead":
      return p.roles.has("督办员") || p.roles.has("领导") || p.roles.has("负责人");
  }
}

export interface CommandDef<A = any> {
  name: string;
  aliases?: string[];
  who: Rule;
  /** "group": refused in a private chat; "private": refused in a group */
  where?: "group" | "private";
  /** the sender's identity must not be logged nor stored (anonymous report) */
  anonymous?: boolean;
  usage: string;
  summary: string;
  /**
   * Beyond `who`: whether /帮助 offers the command to this person (a 领导 with no unit is not offered
   * /认领). Rules that depend on the item are still checked when it runs.
   */
  offer?: (p: Person) => boolean;
  /** which parsed words go to which argument */
  from: (p: ParsedArgs) => Record<string, unknown>;
  /** validates and resolves the arguments; messages are shown to the user */
  args: (r: Resolvers) => z.ZodType<A>;
  /**
   * Long reads (a ledger, a circular): run before the command's transaction, on a consistent snapshot of
   * the read-only connection, so nobody waits for the write lock meanwhile. May throw a UserError. What it
   * returns is passed to run().
   */
  prepare?: (r: ReadCtx, args: A) => Promise<any>;
  run: (ctx: Ctx, args: A, prepared?: any) => Promise<void>;
}

/** What prepare() gets: the snapshot and who, where and when — no way to write. */
export type ReadCtx = Pick<Ctx, "now" | "today" | "cfg" | "org" | "cal" | "sender" | "chat" | "filesDir"> & { read: Tx };

export function defineCommand<A>(def: CommandDef<A>): CommandDef<A> {
  return def;
}

/** zod pieces that resolve words against the roster, the calendar and the clock. */
export interface Resolvers {
  itemNo: z.ZodType<number>;
  date: (label: string) => z.ZodType<Ymd>;
  unit: z.ZodType<string>;
  member: z.ZodType<string>;
  /** a unit or a member: `{ unit }` or `{ member }` */
  unitOrMember: z.ZodType<{ unit?: string; member?: string }>;
  category: z.ZodType<string>;
  text: (label: string, max?: number) => z.ZodType<string>;
}

/** What resolution depends on for the message being parsed (messages are parsed one at a time). */
export interface ResolveScope {
  today: Ymd;
  mentioned: { id: string; name: string }[];
}

/**
 * Build the resolvers once; they read `scope` (today, the message's @-mentions) when they run, so each
 * command's zod schema is built once and reused for every message.
 */
export function makeResolvers(org: Org, cal: Calendar, scope: ResolveScope): Resolvers {
  const text = (label: string, max = 500) =>
    z
      .string({ error: `缺少${label}` })
      .transform((s) => s.trim())
      .pipe(z.string().min(1, { error: `缺少${label}` }).max(max, { error: `${label}不能超过 ${max} 个字` }));
  const memberOf = (s: string, c: z.RefinementCtx) => {
    const m = org.findMember(s, scope.mentioned);
    if (m === "ambiguous") {
      c.addIssue({ code: "custom", message: `名册中有多人叫「${s}」，请用 @ 选中本人或写其账号 id` });
      return z.NEVER;
    }
    if (!m) {
      c.addIssue({ code: "custom", message: `名册中没有「${s}」` });
      return z.NEVER;
    }
    return m.id;
  };
  return {
    itemNo: z.number({ error: "缺少问题编号，如 #12" }).int().positive({ error: "问题编号应为正整数，如 #12" }),
    date: (label) =>
      z.string({ error: `缺少${label}` }).transform((s, c) => {
        const d = parseDate(s, scope.today, cal);
        if (!d) {
          c.addIssue({ code: "custom", message: `无法识别的日期「${s}」，可写 3月20日、2026-03-20、本周五、5个工作日 等` });
          return z.NEVER;
        }
        return d;
      }),
    unit: z.string({ error: "缺少单位，如 @东村" }).transform((s, c) => {
      const u = org.findUnit(s);
      if (!u) {
        c.addIssue({ code: "custom", message: `没有名为「${s}」的单位` });
        return z.NEVER;
      }
      return u.name;
    }),
    member: z.string({ error: "缺少人员，如 @张三" }).transform(memberOf),
    unitOrMember: z.string().transform((s, c) => {
      const u = org.findUnit(s);
      if (u) return { unit: u.name };
      const m = org.findMember(s, scope.mentioned);
      if (m && m !== "ambiguous") return { member: m.id };
      c.addIssue({ code: "custom", message: `「${s}」既不是单位也不是名册中的人员` });
      return z.NEVER;
    }),
    category: z.string().transform((s, c) => {
      const code = org.category(s);
      if (!code) {
        c.addIssue({
          code: "custom",
          message: `没有「${s}」这个类别，可用：${org.cfg.campaign.categories.map((x) => x.code).join("、")}`,
        });
        return z.NEVER;
      }
      return code;
    }),
    text,
  };
}

export type { Role };
