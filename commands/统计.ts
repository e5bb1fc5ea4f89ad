import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { unitFigures } from "../src/jobs/stats.ts";

const PERIODS = ["本月", "本周", "全部"] as const;

// 口径：统计期内新增的问题（全部 = 本次整顿以来），按承办单位汇总；完成率 = 已销号 ÷ 问题数。
export default defineCommand({
  name: "统计",
  who: "registered",
  usage: "/统计 [本月/本周/全部] [@单位]",
  summary: "各单位问题数、销号数、逾期数和完成率",
  from: (p) => ({ period: p.words[0] ?? "全部", unit: p.mentions[0] }),
  args: (r) =>
    z.object({
      period: z.enum(PERIODS, { error: "统计范围只能是 本月、本周 或 全部" }),
      unit: r.unit.optional(),
    }),
  async run(ctx, a) {
    let since: Date | undefined;
    if (a.period === "本月") since = ctx.cal.instant(ctx.today.slice(0, 8) + "01");
    if (a.period === "本周") since = ctx.cal.instant(ctx.cal.addDays(ctx.today, 1 - ctx.cal.weekday(ctx.today)));
    const figures = await unitFigures(ctx.tx, ctx.cfg, ctx.cal, ctx.today, { since, unassigned: !a.unit });
    const rows = new Map(figures.filter((f) => !a.unit || f.unit === a.unit).map((f) => [f.unit, f]));
    const pct = (c: number, t: number) => (t ? `${Math.round((c / t) * 100)}%` : "—");
    const all = [...rows.values()].reduce((s, r) => ({ total: s.total + r.total, closed: s.closed + r.closed, waiting: s.waiting + r.waiting, overdue: s.overdue + r.overdue }), { total: 0, closed: 0, waiting: 0, overdue: 0 });
    const title = `${a.unit ?? ctx.cfg.org}${a.period === "全部" ? "整顿以来" : a.period}问题统计`;
    const lines = [`${title}：问题 ${all.total} 个，已销号 ${all.closed} 个，待验收 ${all.waiting} 个，逾期 ${all.overdue} 个，完成率 ${pct(all.closed, all.total)}`];
    if (!a.unit) {
      const ranked = [...rows.entries()].filter(([, r]) => r.total > 0).sort(([, x], [, y]) => y.closed / y.total - x.closed / x.total || x.overdue - y.overdue);
      for (const [u, r] of ranked) lines.push(`${u}：${r.total} 个，销号 ${r.closed}，逾期 ${r.overdue}，完成率 ${pct(r.closed, r.total)}`);
      const none = [...rows.entries()].filter(([u, r]) => r.total === 0 && u !== "未交办").map(([u]) => u);
      if (none.length) lines.push(`无问题：${none.join("、")}`);
    }
    await ctx.reply(lines.join("\n"));
  },
});
