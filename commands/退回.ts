import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { levelFor, showsTimeline } from "../src/domain/visibility.ts";

export default defineCommand({
  name: "退回",
  aliases: ["驳回"],
  who: "office",
  usage: "/退回 #编号 <退回原因>",
  summary: "整改不到位，退回重新整改",
  from: (p) => ({ item: p.refs[0], reason: [p.keys["原因"], ...p.words].filter(Boolean).join(" ") }),
  args: (r) => z.object({ item: r.itemNo, reason: r.text("退回原因", 500) }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "退回");
    const updated = await ctx.items.update(item, { status: "整改中" });
    await ctx.items.event(updated, ctx.sender.id, "退回", a.reason);
    await ctx.reply(`已退回 #${item.no}，原因：${a.reason}`);
    // the unit (its group, @-mentioning the assignee, the submitter and 负责人; or those people privately)
    for (const { audience, ...to } of await ctx.items.concerned(updated, { except: ctx.sender.id })) {
      const title = ctx.items.title(audience, updated);
      const reason = showsTimeline(levelFor(ctx.org, audience, updated)) ? `\n退回原因：${a.reason}` : "";
      await ctx.send({ ...to, text: `【退回重整】#${item.no}${title ? " " + title : ""}${reason}\n请继续整改，完成后再次发送 /整改 #${item.no} 整改情况，并附照片。` });
    }
  },
});
