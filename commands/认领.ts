import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";

export default defineCommand({
  name: "认领",
  aliases: ["领取"],
  who: "registered",
  usage: "/认领 #编号",
  summary: "认领本单位的问题，由你负责整改",
  offer: (p) => !!p.unit, // only people of a unit take on, report on and rectify items
  from: (p) => ({ item: p.refs[0] }),
  args: (r) => z.object({ item: r.itemNo }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    if (item.assigneeId === ctx.sender.id && item.status !== "已销号") {
      await ctx.reply(`#${item.no} 已由你认领，无需重复认领`);
      return;
    }
    ctx.items.check(item, "认领");
    const unit = ctx.sender.unit;
    if (!unit) throw new UserError(`你不属于任何单位，不能认领问题，如需登记单位请联系${ctx.org.office.short}`);
    if (item.unitName && item.unitName !== unit) throw new UserError(`#${item.no} 由${item.unitName}承办，只有${item.unitName}的人员可以认领，如有异议请联系${ctx.org.office.short}`);
    if (item.assigneeId) throw new UserError(`#${item.no} 已由${ctx.org.name(item.assigneeId)}认领；如需调整，请${item.unitName}负责人 /指派`);
    const updated = await ctx.items.update(item, { assigneeId: ctx.sender.id, unitName: unit, status: "整改中" });
    await ctx.items.event(updated, ctx.sender.id, "认领", unit);
    const deadline = updated.deadline ? `\n截止 ${fmtDate(updated.deadline, ctx.today)}` : `\n截止日期待${ctx.org.office.short}确定`;
    await ctx.replyAbout([updated], `已认领 #${item.no}：${ctx.items.title(ctx.me, updated)}${deadline}`);
  },
});
