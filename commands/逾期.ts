import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { orgScope } from "../src/domain/org.ts";

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
    const scope = a.unit ?? orgScope(ctx.cfg.org);
    if (!items.length) {
      await ctx.reply(`${scope}目前没有逾期问题`);
      return;
    }
    items.sort((x, y) => ctx.items.overdueBy(y) - ctx.items.overdueBy(x) || x.no - y.no);
    const lines = [`${scope}逾期未销号问题 ${items.length} 个：`];
    const shown = items.slice(0, SHOWN);
    // each line as much as the asker may see of that item (other units' items: number, unit, status, deadline)
    for (const i of shown) lines.push(ctx.items.line(ctx.me, i));
    if (items.length > SHOWN) lines.push(`……另有 ${items.length - SHOWN} 个`);
    await ctx.replyAbout(shown, lines.join("\n"));
  },
});
