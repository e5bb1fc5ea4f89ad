import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";

export default defineCommand({
  name: "拒绝延期",
  who: "office",
  usage: "/拒绝延期 #编号 <原因>",
  summary: "不同意延期申请",
  from: (p) => ({ item: p.refs[0], reason: [p.keys["原因"], ...p.words].filter(Boolean).join(" ") }),
  args: (r) => z.object({ item: r.itemNo, reason: r.text("拒绝原因", 500) }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "拒绝延期");
    const req = await ctx.tx.extensionRequest.findFirst({ where: { itemId: item.id, status: "待审批" } });
    if (!req) throw new UserError(`#${item.no} 没有待审批的延期申请，可发送 /查询 #${item.no} 查看办理过程`);
    await ctx.tx.extensionRequest.update({ where: { id: req.id }, data: { status: "已拒绝", decidedById: ctx.sender.id, decidedAt: ctx.now, answer: a.reason } });
    await ctx.items.event(item, ctx.sender.id, "拒绝延期", a.reason);
    await ctx.reply(`已拒绝 #${item.no} 的延期申请，原因：${a.reason}`);
    if (req.requesterId !== ctx.sender.id)
      await ctx.send({
        target: { kind: "contact", id: req.requesterId },
        text: `#${item.no} 延期申请未同意，原因：${a.reason}\n${item.deadline ? `请按原截止日期 ${fmtDate(item.deadline, ctx.today)} 完成整改。` : "请抓紧完成整改。"}`,
      });
  },
});
