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
    // the longest overdue first: days overdue only grow with an earlier deadline, so the first SHOWN by
    // deadline (through the (campaign, deadline) index) are the ones to show, and the rest is a count
    const where = { campaign: ctx.cfg.campaign.name, status: { not: "已销号" }, deadline: { lt: ctx.today }, ...(a.unit ? { unitName: a.unit } : {}) };
    const [count, shown] = await Promise.all([ctx.tx.item.count({ where }), ctx.tx.item.findMany({ where, orderBy: [{ deadline: "asc" }, { no: "asc" }], take: SHOWN })]);
    const scope = a.unit ?? orgScope(ctx.cfg.org);
    if (!count) {
      await ctx.reply(`${scope}目前没有逾期问题`);
      return;
    }
    const lines = [`${scope}逾期未销号问题 ${count} 个：`];
    // each line as much as the asker may see of that item (other units' items: number, unit, status, deadline)
    for (const i of shown) lines.push(ctx.items.line(ctx.me, i));
    if (count > SHOWN) lines.push(`……另有 ${count - SHOWN} 个`);
    await ctx.replyAbout(shown, lines.join("\n"));
  },
});
