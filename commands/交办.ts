import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";

export default defineCommand({
  name: "交办",
  aliases: ["分派"],
  who: "office",
  usage: "/交办 #编号 @单位 [@人] 截止:日期 [措施:整改措施]",
  summary: "把问题交给单位（和责任人）限期整改",
  from: (p) => ({ item: p.refs[0], targets: p.mentions, deadline: p.keys["截止"] ?? p.keys["期限"], measures: p.keys["措施"] }),
  args: (r) =>
    z.object({
      item: r.itemNo,
      targets: z.array(r.unitOrMember).min(1, { error: "缺少承办单位，如 @东村" }).max(2, { error: "最多 @ 一个单位和一个责任人" }),
      deadline: r.date("截止日期，如 截止:3月20日"),
      measures: r.text("整改措施", 500).optional(),
    }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "交办");
    const person = a.targets.find((t) => t.member)?.member;
    const unit = a.targets.find((t) => t.unit)?.unit ?? (person ? ctx.org.byId.get(person)?.unit : undefined);
    if (!unit) throw new UserError(`${ctx.org.name(person)}不属于任何单位，请 @ 承办单位`, true);
    if (person && ctx.org.byId.get(person)?.unit !== unit) throw new UserError(`${ctx.org.name(person)}不是${unit}的人员`, true);
    ctx.items.checkDeadline(a.deadline);
    const updated = await ctx.items.update(item, {
      unitName: unit,
      assigneeId: person ?? (item.unitName === unit ? item.assigneeId : null),
      deadline: a.deadline,
      measures: a.measures ?? item.measures,
      status: "整改中",
    });
    const who = `${unit}${updated.assigneeId ? "·" + ctx.org.name(updated.assigneeId) : ""}`;
    await ctx.items.event(updated, ctx.sender.id, "交办", `${who}，截止${a.deadline}${a.measures ? `，措施：${a.measures}` : ""}`);
    await ctx.reply(`已交办 #${item.no} 给${who}，截止 ${fmtDate(a.deadline, ctx.today)}`);
    const mention = updated.assigneeId ? [updated.assigneeId] : ctx.org.headsOf(unit);
    const tail = updated.assigneeId
      ? `请按期整改，完成后发送 /整改 #${item.no} 整改情况，并附照片。`
      : `请负责人 /指派 #${item.no} @责任人，或由本单位人员 /认领 #${item.no}。`;
    // the unit's group sees its own items; an anonymous one without the reporter's words (匿名反映问题 + 措施)
    for (const { audience, ...to } of await ctx.items.unitTargets(unit, mention)) await ctx.send({ ...to, text: `【交办】${ctx.items.card(audience, updated)}\n${tail}` });
  },
});
