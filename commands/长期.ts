import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { parseDate } from "../src/core/dates.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";
import { tooMuchFor } from "../src/domain/visibility.ts";

// 需要逐步解决的问题：制定整改方案，分节点推进；每个节点有自己的截止日期，最后一个节点即最终时限。
export default defineCommand({
  name: "长期",
  who: "office",
  usage: "/长期 #编号 计划:<整改方案> 节点:<日期>,<日期>…",
  summary: "标记为长期整改，制定方案和节点",
  from: (p) => ({ item: p.refs[0], plan: p.keys["计划"], nodes: p.keys["节点"] }),
  args: (r) =>
    z.object({
      item: r.itemNo,
      plan: r.text("整改计划，如 计划:分三步完成公开栏改造", 1000),
      nodes: z
        .string({ error: "缺少节点日期，如 节点:4月30日,6月30日" })
        .transform((s) => s.split(/[,，、;；]/).map((x) => x.trim()).filter(Boolean))
        .pipe(z.array(z.string()).min(1, { error: "缺少节点日期，如 节点:4月30日,6月30日" }).max(12, { error: "节点最多 12 个" })),
    }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "长期");
    const dates = a.nodes.map((s) => {
      const d = parseDate(s, ctx.today, ctx.cal);
      if (!d) throw new UserError(`无法识别的节点日期「${s}」，可写 4月30日、2026-04-30、月底 等`, true);
      ctx.items.checkDeadline(d);
      return d;
    });
    for (let i = 1; i < dates.length; i++) if (dates[i] <= dates[i - 1]) throw new UserError("节点日期应按先后顺序排列，请按先后顺序重新填写", true);
    // a new plan replaces the milestones not yet done; those done stay, and the new ones are numbered after them
    await ctx.tx.milestone.deleteMany({ where: { itemId: item.id, done: false } });
    const done = await ctx.tx.milestone.findMany({ where: { itemId: item.id, done: true }, orderBy: { seq: "asc" } });
    const first = (done.at(-1)?.seq ?? 0) + 1;
    for (const [i, d] of dates.entries()) await ctx.tx.milestone.create({ data: { itemId: item.id, seq: first + i, deadline: d } });
    const final = dates[dates.length - 1];
    const updated = await ctx.items.update(item, { longTerm: true, plan: a.plan, deadline: final });
    await ctx.items.event(updated, ctx.sender.id, "长期整改", `${a.plan}；节点：${dates.join("、")}`);
    const nodes = `节点：${dates.map((d, i) => `${first + i}. ${fmtDate(d, ctx.today)}`).join("　")}`;
    await ctx.replyAbout([updated], `#${item.no} 已列为长期整改\n计划：${a.plan}\n${nodes}\n最终时限：${fmtDate(final, ctx.today)}${ctx.items.deadlineNotes(...dates)}`);
    // the unit works to the plan: its group (or its 负责人) gets it, as much as it may see
    if (!updated.unitName) return;
    const mention = updated.assigneeId ? [updated.assigneeId] : ctx.org.headsOf(updated.unitName);
    for (const { audience, ...to } of await ctx.items.unitTargets(updated.unitName, mention)) {
      if (to.target.kind === "contact" && to.target.id === ctx.sender.id) continue;
      if (to.target.kind === "room" && ctx.chat.kind === "room" && to.target.id === ctx.chat.id && !tooMuchFor(ctx.org, ctx.me, audience, [updated])) continue; // the reply was here
      await ctx.send({
        ...to,
        text: `【长期整改】${ctx.items.card(audience, updated)}\n${nodes}\n请按节点推进，每完成一个节点发送 /节点 #${item.no} 序号 完成情况。`,
      });
    }
  },
});
