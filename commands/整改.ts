import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";

export default defineCommand({
  name: "整改",
  aliases: ["完成", "申请销号"],
  who: "registered",
  usage: "/整改 #编号 <整改情况>（随后 10 分钟内发照片作为佐证）",
  summary: "提交整改情况，申请验收销号",
  offer: (p) => !!p.unit, // only people of a unit take on, report on and rectify items
  from: (p) => ({ item: p.refs[0], note: p.words.join(" ") }),
  args: (r) => z.object({ item: r.itemNo, note: r.text("整改情况", 1000) }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "整改");
    ctx.items.assertWorker(item, ctx.sender, "提交整改");
    const updated = await ctx.items.update(item, { status: "待验收", submitterId: ctx.sender.id });
    await ctx.items.event(updated, ctx.sender.id, "整改", a.note);
    await ctx.reply(`已提交 #${item.no} 整改情况，等待${ctx.org.office.short}验收销号。\n请在 10 分钟内${ctx.chat.kind === "room" ? "在本群或私聊我" : "在此"}发送整改照片作为佐证。`);
    for (const o of await ctx.items.tellOffice(`【待验收】#${item.no} ${item.unitName ? `【${item.unitName}】` : ""}${item.title}\n整改情况：${a.note}\n提交人：${ctx.sender.name}\n验收：/销号 #${item.no}　退回：/退回 #${item.no} 原因`, ctx.sender.id))
      await ctx.send(o);
  },
});
