import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";

export default defineCommand({
  name: "同意延期",
  who: "office",
  usage: "/同意延期 #编号",
  summary: "同意延期申请",
  from: (p) => ({ item: p.refs[0] }),
  args: (r) => z.object({ item: r.itemNo }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "同意延期");
    const req = await ctx.tx.extensionRequest.findFirst({ where: { itemId: item.id, status: "待审批" } });
    if (!req) throw new UserError(`#${item.no} 没有待审批的延期申请，可发送 /查询 #${item.no} 查看办理过程`);
    await ctx.tx.extensionRequest.update({ where: { id: req.id }, data: { status: "已同意", decidedById: ctx.sender.id, decidedAt: ctx.now } });
    const updated = await ctx.items.update(item, { deadline: req.newDeadline });
    await ctx.items.event(updated, ctx.sender.id, "同意延期", `${item.deadline ?? "无"} → ${req.newDeadline}`);
    await ctx.reply(`已同意 #${item.no} 延期至 ${fmtDate(req.newDeadline, ctx.today)}${ctx.items.deadlineNotes(req.newDeadline)}`);
    if (req.requesterId !== ctx.sender.id)
      await ctx.send({ target: { kind: "contact", id: req.requesterId }, text: `#${item.no} 延期申请已同意，新的截止日期为 ${fmtDate(req.newDeadline, ctx.today)}` });
  },
});
