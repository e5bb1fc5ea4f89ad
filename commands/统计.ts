import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { pct, ranked, unitFigures } from "../src/jobs/stats.ts";

const PERIODS = ["本月", "本周", "全部"] as const;

// 口径：统计期内新增的问题（全部 = 本次整顿以来），按承办单位汇总；按期完成率、红黄绿和排序与月度通报相同
// （src/jobs/stats.ts）：没有问题的单位单列，不参与排名。
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
    const figures = await unitFigures(ctx.tx, ctx.cfg, ctx.cal, ctx.today, { since, unassigned: !a.unit, unit: a.unit });
    const rows = figures.filter((f) => !a.unit || f.unit === a.unit);
    const sum = (k: "total" | "closed" | "waiting" | "overdue" | "due" | "onTime") => rows.reduce((n, r) => n + r[k], 0);
    const due = sum("due");
    const title = `${a.unit ?? ctx.cfg.org}${a.period === "全部" ? "整顿以来" : a.period}问题统计`;
    // the circular's rules (SPEC §4): 按期完成率 of the items due, units without items apart
    const lines = [`${title}：问题 ${sum("total")} 个，已销号 ${sum("closed")} 个，待验收 ${sum("waiting")} 个，逾期 ${sum("overdue")} 个，按期完成率 ${pct(due ? sum("onTime") / due : null)}`];
    if (!a.unit) {
      const { ranked: order, none } = ranked(rows.filter((r) => r.unit !== "未交办"));
      for (const r of order) lines.push(`${r.unit}【${r.light}】：${r.total} 个，销号 ${r.closed}，逾期 ${r.overdue}，按期完成率 ${pct(r.completion)}`);
      const open = rows.find((r) => r.unit === "未交办" && r.total > 0);
      if (open) lines.push(`未交办：${open.total} 个`);
      if (none.length) lines.push(`无问题：${none.map((r) => r.unit).join("、")}`);
    } else if (rows[0]) lines[0] += `，${rows[0].light}`;
    await ctx.reply(lines.join("\n"));
  },
});
