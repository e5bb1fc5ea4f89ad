import { parseCount } from "../src/core/dates.ts";
import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { insertOutgoing } from "../src/core/outbox.ts";
import { fmtDate } from "../src/domain/calendar.ts";
import { SENT_PRIVATELY } from "../src/domain/visibility.ts";
import { asOfText, draftRows, monthName, planDraft, planPublish, previousMonth, published, recordPublication, refuseMonth, type DraftPlan, type PublishPlan } from "../src/jobs/circular.ts";


/** 2026-03, 2026-3, 2026年3月, 3月, 三月, 11月份, 上月, 本月 (a month without a year: the latest such month not after this one). */
const MONTH_WORDS = /^(?:\d{4}[-/.年]\d{1,2}月?份?|[0-9一二三四五六七八九十]{1,3}月份?|上个?月|本月|这个月)$/;
export function monthOf(word: string, today: string): string | null {
  const w = word.normalize("NFKC");
  const y = +today.slice(0, 4);
  const cur = +today.slice(5, 7);
  const fmt = (yy: number, mm: number) => (mm >= 1 && mm <= 12 ? `${yy}-${String(mm).padStart(2, "0")}` : null);
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})[-/.年](\d{1,2})月?份?$/.exec(w))) return fmt(+m[1], +m[2]);
  if (/^上个?月$/.test(w)) return cur === 1 ? fmt(y - 1, 12) : fmt(y, cur - 1);
  if (/^(本月|这个月)$/.test(w)) return fmt(y, cur);
  if ((m = /^(.{1,3})月份?$/.exec(w))) {
    const n = parseCount(m[1]);
    return n ? (n <= cur ? fmt(y, n) : fmt(y - 1, n)) : null;
  }
  return null;
}

// /通报 [YYYY-MM]               the draft (as of the month's end), privately: text, chart, full ledger, where it would go
// /通报 发布 [YYYY-MM]          publish it (a month that has ended, inside the campaign; once)
// /通报 更正 YYYY-MM <原因>     publish a correction of a published month, titled （更正）
// The circular is built from a snapshot before the transaction (no write lock while it renders); the
// publication is recorded (a Circular row) in the transaction that queues it, so it happens once.
export default defineCommand({
  name: "通报",
  who: "office",
  usage: "/通报 [月份，如 2026-03 或 3月]（查看草稿，默认上月）　/通报 发布 [月份]　/通报 更正 月份 原因",
  summary: "查看、发布或更正月度整顿工作情况通报",
  from: (p) => {
    const action = p.words[0] === "发布" || p.words[0] === "更正" ? p.words[0] : "草稿";
    const rest = action === "草稿" ? p.words : p.words.slice(1);
    return { action, month: rest[0]?.normalize("NFKC"), reason: [p.keys["原因"], ...rest.slice(1)].filter(Boolean).join(" ") || undefined };
  },
  args: () =>
    z
      .object({
        action: z.enum(["草稿", "发布", "更正"]),
        month: z.string().regex(MONTH_WORDS, { error: "月份应写成 2026-03 或 3月 这样" }).optional(),
        reason: z.string().trim().max(300, { error: "更正原因不能超过 300 个字" }).optional(),
      })
      .refine((a) => a.action !== "更正" || a.month, { error: "更正需写明月份，如 /通报 更正 2026-03 原因" })
      .refine((a) => a.action !== "更正" || a.reason, { error: "更正需写明原因" }),
  prepare: async (r, a): Promise<{ month: string; draft?: DraftPlan; publish?: PublishPlan }> => {
    const month = a.month ? monthOf(a.month, r.today) : previousMonth(r.today);
    if (!month) throw new UserError(`「${a.month}」不是有效的月份，请写成 2026-03 或 3月 这样`, true);
    const why = refuseMonth(r.cfg, r.cal, month, r.now);
    if (why) throw new UserError(why);
    const done = await published(r.read, month);
    if (a.action === "草稿") return { month, draft: await planDraft(r.read, r.cfg, r.org, r.cal, month, r.now, r.filesDir) };
    if (a.action === "发布") {
      if (done.length) throw alreadyPublished(month, done[0].publishedAt, r.cal, r.today);
      return { month, publish: await planPublish(r.read, r.cfg, r.org, r.cal, month, r.now, r.filesDir, { seq: 1 }) };
    }
    if (!done.length) throw new UserError(`${monthName(month)}通报尚未发布，不能更正；请先 /通报 ${month} 核对草稿，再 /通报 发布 ${month}`);
    return { month, publish: await planPublish(r.read, r.cfg, r.org, r.cal, month, r.now, r.filesDir, { seq: done[done.length - 1].seq + 1, reason: a.reason }) };
  },
  async run(ctx, a, prep: { month: string; draft?: DraftPlan; publish?: PublishPlan }) {
    const { month } = prep;
    if (prep.draft) {
      // the answer to the asker: not held back by quiet hours (a scheduled draft is)
      for (const o of draftRows(prep.draft, [ctx.sender.id])) await ctx.send({ ...o, direct: true });
      if (ctx.chat.kind === "room") await ctx.reply(SENT_PRIVATELY);
      return;
    }
    const p = prep.publish!;
    // checked again in the transaction: another 督办员 may have published meanwhile
    const done = await published(ctx.tx, month);
    if (p.seq === 1 && done.length) throw alreadyPublished(month, done[0].publishedAt, ctx.cal, ctx.today);
    if (p.seq > 1 && done.some((c) => c.seq >= p.seq)) throw new UserError(`${monthName(month)}通报刚刚已被更正，请核对后再试`);
    await recordPublication(ctx.tx, p, ctx.now, ctx.sender.id);
    await insertOutgoing(ctx.tx, p.rows, ctx.now);
    const what = p.seq > 1 ? `${monthName(month)}通报（更正）` : `${monthName(month)}通报`;
    const reply = p.groups
      ? `已发布${what}（数据截至${asOfText(ctx.cal, month)}，附图表；单位群附本单位台账），发往 ${p.groups} 个工作群`
      : `已发布${what}，但还没有通报群或单位工作群可发：请在配置 rooms 中设置 circular: true，或在单位群里 /绑定`;
    await ctx.reply(reply);
  },
});

function alreadyPublished(month: string, at: Date, cal: { today(d: Date): string }, today: string): UserError {
  return new UserError(`${monthName(month)}通报已于${fmtDate(cal.today(at), today)}发布，不再重复发布；如需更正，发送 /通报 更正 ${month} 更正原因`);
}
