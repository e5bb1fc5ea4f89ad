import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";
import { atLeast, levelFor } from "../src/domain/visibility.ts";

export default defineCommand({
  name: "交办",
  aliases: ["分派"],
  who: "office",
  usage: "/交办 #编号 @单位 [@人] 截止:日期 [措施:整改措施]",
  summary: "把问题交给单位（和责任人）限期整改；再次交办即改派或调整",
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
    if (person && ctx.org.byId.get(person)?.unit !== unit) throw new UserError(`${ctx.org.name(person)}不是${unit}的人员，请 @ ${unit}的人员，或只 @ 单位`, true);
    ctx.items.checkDeadline(a.deadline);
    const assignee = person ?? (item.unitName === unit ? item.assigneeId : null);
    const measures = a.measures ?? item.measures;
    const no = `#${item.no}`;
    const tail = (who: string | null) =>
      who ? `请按期整改，完成后发送 /整改 ${no} 整改情况，并附照片。` : `请负责人 /指派 ${no} @责任人，或由本单位人员 /认领 ${no}。`;

    // already assigned (整改中 with a deadline): a second /交办 is a change — 改派 (unit or person) or 调整
    // (deadline, measures). An item only claimed (认领, no deadline yet) gets its first 交办.
    if (item.status !== "待交办" && item.deadline) {
      const date = (d: string | null) => (d ? fmtDate(d, ctx.today) : "未定");
      const changes: { what: string; from: string; to: string; detail?: boolean; iso?: [string | null, string] }[] = [];
      if (item.unitName !== unit) changes.push({ what: "承办单位", from: item.unitName ?? "未定", to: unit });
      if (item.assigneeId !== assignee) changes.push({ what: "责任人", from: ctx.org.name(item.assigneeId) || "未定", to: ctx.org.name(assignee) || "未定", detail: true });
      if (item.deadline !== a.deadline) changes.push({ what: "截止", from: date(item.deadline), to: date(a.deadline), iso: [item.deadline, a.deadline] });
      if ((item.measures ?? "") !== (measures ?? "")) changes.push({ what: "整改措施", from: item.measures ?? "无", to: measures ?? "无", detail: true });
      const who = `${unit}${assignee ? "·" + ctx.org.name(assignee) : ""}`;
      if (!changes.length) {
        await ctx.reply(`${no} 已交办给${who}，截止 ${date(a.deadline)}，这次交办的内容与原来相同，未作改动；如需调整，请写明新的单位、责任人、截止日期或措施`);
        return;
      }
      const kind = item.unitName !== unit || item.assigneeId !== assignee ? "改派" : "调整";
      const updated = await ctx.items.update(item, { unitName: unit, assigneeId: assignee, deadline: a.deadline, measures, status: item.status });
      // one event with every change (dates as stored: 2026-03-20, shown by /查询 as 3月20日)
      const detail = changes.map((c) => `${c.what}：${c.iso ? `${c.iso[0] ?? "未定"} → ${c.iso[1]}` : `${c.from} → ${c.to}`}`).join("；");
      await ctx.items.event(updated, ctx.sender.id, kind, detail);
      const lines = (full: boolean) => changes.filter((c) => full || !c.detail).map((c) => `${c.what}：${c.from} → ${c.to}`);
      await ctx.reply(`已${kind} ${no}\n${lines(true).join("\n")}${ctx.items.deadlineNotes(a.deadline)}`);

      const moved = item.unitName && item.unitName !== unit;
      // the old unit: no longer theirs — told as much as it may see now (another unit's item: the number)
      if (moved) {
        const old = item.unitName!;
        const mention = [...new Set([item.assigneeId, ...ctx.org.headsOf(old)].filter((x): x is string => !!x && x !== ctx.sender.id))];
        for (const { audience, ...to } of await ctx.items.unitTargets(old, mention)) {
          const title = ctx.items.title(audience, updated);
          await ctx.send({ ...to, text: `【改派】${no}${title ? " " + title : ""} 已改由${unit}承办，不再由${old}办理，本单位无需再整改或报送。` });
        }
      }
      // the new (or same) unit: the 交办 notice, with what changed when it was already theirs
      const mention = [...new Set([assignee, !moved ? item.assigneeId : null].filter((x): x is string => !!x))];
      for (const { audience, ...to } of await ctx.items.unitTargets(unit, mention.length ? mention : ctx.org.headsOf(unit))) {
        const full = atLeast(levelFor(ctx.org, audience, updated), "unit");
        const head = moved ? "【交办】" : `【${kind}】`;
        const changed = moved ? [] : lines(full);
        await ctx.send({ ...to, text: `${head}${ctx.items.card(audience, updated)}${changed.length ? `\n变动：${changed.join("；")}` : ""}\n${tail(assignee)}` });
      }
      return;
    }

    const updated = await ctx.items.update(item, { unitName: unit, assigneeId: assignee, deadline: a.deadline, measures, status: "整改中" });
    const who = `${unit}${updated.assigneeId ? "·" + ctx.org.name(updated.assigneeId) : ""}`;
    await ctx.items.event(updated, ctx.sender.id, "交办", `${who}，截止${a.deadline}${a.measures ? `，措施：${a.measures}` : ""}`);
    await ctx.reply(`已交办 ${no} 给${who}，截止 ${fmtDate(a.deadline, ctx.today)}${ctx.items.deadlineNotes(a.deadline)}`);
    const mention = updated.assigneeId ? [updated.assigneeId] : ctx.org.headsOf(unit);
    // the unit's group sees its own items; an anonymous one without the reporter's words (匿名反映问题 + 措施)
    for (const { audience, ...to } of await ctx.items.unitTargets(unit, mention)) await ctx.send({ ...to, text: `【交办】${ctx.items.card(audience, updated)}\n${tail(updated.assigneeId)}` });
  },
});
