import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { personAudience, tooMuchFor } from "../src/domain/visibility.ts";

export default defineCommand({
  name: "指派",
  who: "head",
  usage: "/指派 #编号 @人",
  summary: "负责人把本单位的问题指派给本单位人员",
  offer: (p) => !!p.unit, // only people of a unit take on, report on and rectify items
  from: (p) => ({ item: p.refs[0], person: p.mentions[0] }),
  args: (r) => z.object({ item: r.itemNo, person: r.member }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    if (!item.unitName) throw new UserError(`#${item.no} 还未交办到单位，不能指派，请等待${ctx.org.office.short}交办`);
    if (!ctx.org.isHeadOf(ctx.sender, item.unitName)) throw new UserError(`#${item.no} 由${item.unitName}承办，只有${item.unitName}负责人可以指派，请联系${ctx.org.headsOf(item.unitName).map((h) => ctx.org.name(h)).join("、") || item.unitName + "负责人"}`);
    ctx.items.check(item, "指派");
    if (ctx.org.byId.get(a.person)?.unit !== item.unitName) throw new UserError(`${ctx.org.name(a.person)}不是${item.unitName}的人员，请指派本单位人员`, true);
    const updated = await ctx.items.update(item, { assigneeId: a.person, status: "整改中" });
    await ctx.items.event(updated, ctx.sender.id, "指派", ctx.org.name(a.person));
    await ctx.reply(`已将 #${item.no} 指派给${ctx.org.name(a.person)}`);
    if (a.person !== ctx.sender.id) {
      // in this group when it may see as much as the assignee does, else privately to the assignee
      const assignee = personAudience(ctx.org.person(a.person));
      const group = await ctx.here();
      const tail = `\n请按期整改，完成后发送 /整改 #${item.no} 整改情况，并附照片。`;
      if (ctx.chat.kind === "room" && group && !tooMuchFor(ctx.org, assignee, group, [updated]))
        await ctx.send({ target: { kind: "room", id: ctx.chat.id }, text: `【指派】${ctx.items.card(group, updated)}${tail}`, mentions: [a.person] });
      else await ctx.send({ target: { kind: "contact", id: a.person }, text: `【指派】${ctx.items.card(assignee, updated)}${tail}` });
    }
  },
});
