import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { clip } from "../src/core/text.ts";
import { fmtDate } from "../src/domain/calendar.ts";
import { milestoneOf } from "./节点.ts";
import { cardAt, eventDetail, isAnonymous, levelFor, showsTimeline } from "../src/domain/visibility.ts";

const SHOWN = 15;

// As much as the asker may see (SPEC §1): the timeline and evidence only at full or unit level; an answer
// the group may not see goes privately. Any answer about an anonymous item is deleted once sent.
export default defineCommand({
  name: "查询",
  aliases: ["详情"],
  who: "registered",
  usage: "/查询 #编号",
  summary: "查看问题详情和办理过程",
  from: (p) => ({ item: p.refs[0] }),
  args: (r) => z.object({ item: r.itemNo }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    const level = levelFor(ctx.org, ctx.me, item);
    const lines = [cardAt(ctx.items.view, level, item)];
    if (showsTimeline(level)) {
      const [events, milestones, evidence] = await Promise.all([
        ctx.tx.event.findMany({ where: { itemId: item.id }, orderBy: { id: "asc" } }),
        ctx.tx.milestone.findMany({ where: { itemId: item.id }, orderBy: { seq: "asc" } }),
        ctx.tx.evidence.count({ where: { itemId: item.id } }),
      ]);
      if (milestones.length) {
        // the day each was done: its 节点 event (the latest for that milestone)
        const doneOn = new Map<number, string>();
        for (const e of events) if (e.kind === "节点") doneOn.set(milestoneOf(e.detail) ?? 0, ctx.cal.today(e.at));
        const day = (seq: number) => (doneOn.has(seq) ? `${fmtDate(doneOn.get(seq)!, ctx.today)}完成` : "已完成");
        lines.push(`节点：${milestones.map((m) => `${m.seq}. 截止${fmtDate(m.deadline, ctx.today)}${m.done ? ` ✓${day(m.seq)}` : ""}`).join("　")}`);
      }
      if (evidence) lines.push(`佐证照片：${evidence} 张`);
      lines.push("办理过程：");
      const skipped = Math.max(0, events.length - SHOWN);
      if (skipped) lines.push(`（前 ${skipped} 条略）`);
      for (const e of events.slice(skipped)) {
        const l = ctx.cal.local(e.at);
        const who = e.actorId ? ctx.org.name(e.actorId) : e.kind === "匿名上报" ? "匿名" : "系统";
        const time = `${fmtDate(l.ymd, ctx.today)} ${String(l.hh).padStart(2, "0")}:${String(l.mm).padStart(2, "0")}`;
        // a report's words are the card's title (never shown for an anonymous item below full level)
        lines.push(`${time} ${who} ${e.kind}${e.detail && e.kind !== "上报" && e.kind !== "匿名上报" ? "：" + clip(eventDetail(e.kind, e.detail, ctx.today), 60) : ""}`);
      }
    }
    await ctx.replyAbout([item], lines.join("\n"), { ephemeral: isAnonymous(item) });
  },
});
