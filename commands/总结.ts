import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { summaryFigures, summaryText } from "../src/reports/summary.ts";

export default defineCommand({
  name: "总结",
  who: "office",
  usage: "/总结",
  summary: "工作总结里的统计段落，数字全部来自台账",
  from: () => ({}),
  args: () => z.object({}),
  async run(ctx) {
    await ctx.reply(summaryText(await summaryFigures(ctx.tx, ctx.cfg, ctx.cal, ctx.today), ctx.cfg, ctx.today));
  },
});
