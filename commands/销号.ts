import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";

export default defineCommand({
  name: "销号",
  aliases: ["验收", "通过"],
  who: "office",
  usage: "/销号 #编号 [验收意见]",
  summary: "验收通过，问题销号",
  from: (p) => ({ item: p.refs[0], opinion: [p.keys["意见"], ...p.words].filter(Boolean).join(" ") || undefined }),
  args: (r) => z.object({ item: r.itemNo, opinion: r.text("验收意见", 500).optional() }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "销号");
    // separation of duties: whoever submitted the rectification never closes it
    if (item.submitterId === ctx.sender.id)
      throw new UserError(`你是 #${item.no} 整改的提交人，不能自己销号，请由其他督办员或领导验收`);
    const evidence = await ctx.tx.evidence.count({ where: { itemId: item.id } });
    const updated = await ctx.items.update(item, { status: "已销号", closedAt: ctx.now });
    await ctx.items.event(updated, ctx.sender.id, "销号", a.opinion ?? "");
    await ctx.reply(`#${item.no} 已验收销号${evidence ? `（佐证照片 ${evidence} 张）` : ""}${a.opinion ? `\n验收意见：${a.opinion}` : ""}`);
    const to = updated.assigneeId ?? updated.submitterId;
    if (to && to !== ctx.sender.id) await ctx.send({ target: { kind: "contact", id: to }, text: `#${item.no} ${item.title} 已验收销号。${a.opinion ? `\n验收意见：${a.opinion}` : ""}` });
  },
});
