import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";
import { previousMonth, planCircular } from "../src/jobs/circular.ts";
import { insertOutgoing } from "../src/core/outbox.ts";

// The same circular the schedule sends on the configured workday; a month is published once, whether
// by the schedule or by this command.
export default defineCommand({
  name: "通报",
  who: "office",
  usage: "/通报 [YYYY-MM]（默认上月）",
  summary: "立即发布某月的整顿工作情况通报",
  from: (p) => ({ month: p.words[0] }),
  args: () =>
    z.object({
      month: z
        .string()
        .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: "月份应写成 2026-03 这样" })
        .optional(),
    }),
  // the circular is built from a snapshot before the transaction (no write lock while it renders)
  prepare: async (r, a) => {
    const month = a.month ?? previousMonth(r.today);
    return planCircular(r.read, r.cfg, r.org, r.cal, month, r.now, r.filesDir);
  },
  async run(ctx, a, rows) {
    const month = a.month ?? previousMonth(ctx.today);
    if (month > ctx.today.slice(0, 7)) throw new UserError(`${month} 还没到，不能通报`, true);
    const [y, m] = [+month.slice(0, 4), +month.slice(5, 7)];
    const done = await ctx.tx.jobRun.findUnique({ where: { job_period: { job: "circular", period: month } } });
    if (done) throw new UserError(`${y}年${m}月的通报已于${fmtDate(ctx.cal.today(done.at), ctx.today)}发布，不再重复发送`);
    await ctx.tx.jobRun.create({ data: { job: "circular", period: month, at: ctx.now } });
    await insertOutgoing(ctx.tx, rows, ctx.now);
    const groups = rows.filter((o: { text?: string }) => o.text).length;
    await ctx.reply(groups ? `已发布${y}年${m}月通报（附图表和台账），发往 ${groups} 个工作群` : `已生成${y}年${m}月通报，但还没有通报群或单位工作群可发：请在配置 rooms 中设置 circular: true，或在单位群里 /绑定`);
  },
});
