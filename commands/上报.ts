import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { fmtDate } from "../src/domain/calendar.ts";
import { UserError } from "../src/core/errors.ts";
import { clip } from "../src/core/text.ts";
import { levelFor } from "../src/domain/visibility.ts";

export default defineCommand({
  name: "上报",
  aliases: ["报告", "反映"],
  who: "anyone",
  usage: "/上报 <问题描述> [#类别] [@单位或@人] [截止:日期]",
  summary: "反映一个作风问题，登记进问题清单",
  from: (p) => ({ title: p.words.join(" "), category: p.tags[0], targets: p.mentions, deadline: p.keys["截止"] }),
  args: (r) =>
    z.object({
      title: r.text("问题描述", 300),
      category: r.category.optional(),
      targets: z.array(r.unitOrMember).max(2, { error: "最多 @ 一个单位和一个人" }),
      deadline: r.date("截止日期").optional(),
    }),
  async run(ctx, a) {
    const office = ctx.org.isOffice(ctx.sender);
    const assignee = a.targets.find((t) => t.member)?.member;
    const unit = a.targets.find((t) => t.unit)?.unit ?? (assignee ? ctx.org.byId.get(assignee)?.unit : undefined);
    if (assignee && !unit) throw new UserError(`${ctx.org.name(assignee)}不属于任何单位，请 @ 单位`, true);
    if (assignee && ctx.org.byId.get(assignee)?.unit !== unit) throw new UserError(`${ctx.org.name(assignee)}不是${unit}的人员，请 @ ${unit}的人员，或只 @ 单位`, true);
    if (a.deadline) ctx.items.checkDeadline(a.deadline);
    // a 督办员/领导 who names the unit and the deadline assigns at once (交办); anyone else reports for assignment
    const assigned = office && !!unit && !!a.deadline;
    const item = await ctx.items.create({
      title: a.title,
      category: a.category,
      unitName: unit,
      assigneeId: assigned ? assignee : null,
      deadline: assigned ? a.deadline : null,
      reporterId: ctx.sender.id,
      anonymous: false,
      status: assigned ? "整改中" : "待交办",
      sourceRoomId: ctx.chat.kind === "room" ? ctx.chat.id : null,
      detail: a.title,
    });
    // a report like an open one: said so (it is still recorded); the title only where the asker — and the
    // group the answer goes to — may see it, else the number only
    const found = await ctx.items.similar(a.title, unit, item.id);
    // an anonymous report is pointed at for 督办员 and 领导 only: anyone else could probe its words
    const group = await ctx.here();
    const like = found.filter((i) => !i.anonymous || (office && (!group || levelFor(ctx.org, group, i) === "full")));
    const seen = like.filter((i) => [ctx.me, ...(group ? [group] : [])].every((x) => levelFor(ctx.org, x, i) === "full"));
    const nos = like.map((i) => `#${i.no}`).join("、");
    const titles = seen.length ? `（${seen.map((i) => `#${i.no} ${clip(i.title, 20)}`).join("；")}）` : "";
    const similar = like.length ? `\n与 ${nos} 相似，如为同一问题请勿重复上报${titles}` : "";
    const forOffice = found.length ? `\n与 ${found.map((i) => `#${i.no}`).join("、")} 相似（${found.map((i) => `#${i.no} ${clip(i.title, 20)}`).join("；")}），请核实是否重复` : "";
    if (assigned) {
      await ctx.items.event(item, ctx.sender.id, "交办", `${unit}${assignee ? "·" + ctx.org.name(assignee) : ""}，截止${a.deadline}`);
      await ctx.replyAbout([item], `已登记并交办 #${item.no}：${a.title}\n承办：${unit}${assignee ? "·" + ctx.org.name(assignee) : ""}，截止 ${fmtDate(a.deadline!, ctx.today)}${ctx.items.deadlineNotes(a.deadline!)}${similar}`);
      const mention = assignee ? [assignee] : ctx.org.headsOf(unit!);
      for (const { audience, ...to } of await ctx.items.unitTargets(unit!, mention))
        await ctx.send({ ...to, text: `【交办】${ctx.items.card(audience, item)}\n请及时认领整改，完成后发送 /整改 #${item.no} 整改情况，并附照片。` });
      return;
    }
    const short = ctx.org.office.short;
    const note = a.deadline && !office ? `\n（截止日期由${short}交办时确定）` : "";
    // the reporter sees their own words; the group they reported in already has them
    await ctx.reply(`已登记 #${item.no}：${a.title}\n状态：待交办${unit ? `，拟由${unit}承办` : ""}。${short}将尽快交办。${note}${similar}`);
    const source = ctx.chat.kind === "room" ? `${ctx.sender.name}，在${ctx.chat.topic}上报` : `${ctx.sender.name}，私聊上报`;
    for (const o of await ctx.items.tellOffice(`【新问题待交办】#${item.no} ${a.title}${a.category ? `\n类别：${a.category}` : ""}${unit ? `\n涉及：${unit}` : ""}\n来源：${source}${forOffice}\n交办：/交办 #${item.no} @单位 截止:日期`, ctx.sender.id))
      await ctx.send(o);
  },
});
