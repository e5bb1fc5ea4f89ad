import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";

const SHOWN = 30;

export default defineCommand({
  name: "逾期",
  who: "registered",
  usage: "/逾期 [@单位]",
  summary: "逾期未销号的问题，逾期最久的排在前面",
  from: (p) => ({ unit: p.mentions[0] ?? p.words[0] }),
  args: (r) => z.object({ unit: r.unit.optional() }),
  async run(ctx, a) {
    const items = await ctx.tx.item.findMany({
      where: { campaign: ctx.cfg.campaign.name, status: { not: "已销号" }, deadline: { lt: ctx.today }, ...(a.unit ? { unitName: a.unit } : {}) },
    });
    const scope = a.unit ?? "全镇";
    if (!items.length) {
      await ctx.reply(`${scope}目前没有逾期问题`);
      return;
    }
    items.sort((x, y) => ctx.items.overdueBy(y) - ctx.items.overdueBy(x) || x.no - y.no);
    const lines = [`${scope}逾期未销号问题 ${items.length} 个：`];
    for (const i of items.slice(0, SHOWN)) lines.push(ctx.items.line(i));
    if (items.length > SHOWN) lines.push(`……另有 ${items.length - SHOWN} 个`);
    await ctx.reply(lines.join("\n"));
  },
});
