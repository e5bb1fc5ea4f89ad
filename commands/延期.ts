import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";

export default defineCommand({
  name: "延期",
  who: "registered",
  usage: "/延期 #编号 <新截止日期> <原因>",
  summary: "申请延长整改期限",
  offer: (p) => !!p.unit, // only people of a unit take on, report on and rectify items
  from: (p) => ({ item: p.refs[0], date: p.keys["截止"] ?? p.words[0], reason: [p.keys["原因"], ...p.words.slice(p.keys["截止"] ? 0 : 1)].filter(Boolean).join(" ") }),
  args: (r) => z.object({ item: r.itemNo, date: r.date("新截止日期"), reason: r.text("延期原因", 500) }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "延期");
    ctx.items.assertWorker(item, ctx.sender, "申请延期");
    ctx.items.checkDeadline(a.date);
    if (item.deadline && a.date <= item.deadline) throw new UserError(`新截止日期应晚于原截止日期 ${fmtDate(item.deadline, ctx.today)}，请重新填写`, true);
    const pending = await ctx.tx.extensionRequest.findFirst({ where: { itemId: item.id, status: "待审批" } });
    if (pending) throw new UserError(`#${item.no} 已有一条待审批的延期申请（至 ${fmtDate(pending.newDeadline, ctx.today)}），请等待${ctx.org.office.short}答复，无需重复申请`);
    await ctx.tx.extensionRequest.create({ data: { itemId: item.id, requesterId: ctx.sender.id, newDeadline: a.date, reason: a.reason, status: "待审批", at: ctx.now } });
    await ctx.items.event(item, ctx.sender.id, "申请延期", `至${a.date}：${a.reason}`);
    await ctx.reply(`已提交 #${item.no} 延期申请（至 ${fmtDate(a.date, ctx.today)}），等待${ctx.org.office.short}审批${ctx.items.deadlineNotes(a.date)}`);
    for (const o of await ctx.items.tellOffice(`【延期申请】#${item.no} ${item.unitName ? `【${item.unitName}】` : ""}${item.title}\n原截止：${item.deadline ? fmtDate(item.deadline, ctx.today) : "无"}，申请至：${fmtDate(a.date, ctx.today)}\n原因：${a.reason}\n申请人：${ctx.sender.name}\n同意：/同意延期 #${item.no}　拒绝：/拒绝延期 #${item.no} 原因`, ctx.sender.id))
      await ctx.send(o);
  },
});
