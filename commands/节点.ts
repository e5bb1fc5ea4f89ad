import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";

/** The timeline's record of a milestone done: `第 2 个节点（截止 2026-06-30）已完成：说明` (dates shown as 6月30日). */
export const milestoneDetail = (seq: number, deadline: string, note?: string) => `第 ${seq} 个节点（截止 ${deadline}）已完成${note ? "：" + note : ""}`;
/** Which milestone a 节点 event is about. */
export const milestoneOf = (detail: string): number | null => {
  const m = /^第 (\d+) 个节点/.exec(detail);
  return m ? Number(m[1]) : null;
};

// 长期整改：承办单位每完成一个节点，报一次。完成时间和说明记在办理过程里（节点事件），节点本身记 done。
export default defineCommand({
  name: "节点",
  who: "registered",
  usage: "/节点 #编号 <节点序号> [完成情况]",
  summary: "长期整改问题完成一个节点",
  offer: (p) => !!p.unit, // only people of a unit take on, report on and rectify items
  from: (p) => {
    const words = [...p.words];
    const bare = (w?: string) => (w && /^[0-9０-９]+$/.test(w) ? Number(w.normalize("NFKC")) : undefined);
    const item = p.refs[0] ?? bare(words[0]);
    if (p.refs[0] === undefined && item !== undefined) words.shift();
    const seq = p.refs[1] ?? bare(words[0]);
    if (p.refs[1] === undefined && seq !== undefined) words.shift();
    return { item, seq, note: words.join(" ") || undefined };
  },
  args: (r) =>
    z.object({
      item: r.itemNo,
      seq: z.number({ error: "缺少节点序号，如 /节点 #12 1 已完成第一阶段" }).int().positive({ error: "节点序号应为正整数，如 1" }),
      note: r.text("完成情况", 500).optional(),
    }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "进展");
    ctx.items.assertWorker(item, ctx.sender, "报告节点完成");
    const milestones = await ctx.tx.milestone.findMany({ where: { itemId: item.id }, orderBy: { seq: "asc" } });
    if (!item.longTerm || !milestones.length)
      throw new UserError(`#${item.no} 不是长期整改问题，没有节点；记录进展请发送 /进展 #${item.no} 说明，完成后发送 /整改 #${item.no} 整改情况`);
    const m = milestones.find((x) => x.seq === a.seq);
    if (!m) throw new UserError(`#${item.no} 没有第 ${a.seq} 个节点，现有节点：${milestones.map((x) => `${x.seq}. ${fmtDate(x.deadline, ctx.today)}${x.done ? "✓" : ""}`).join("　")}，请核对序号后重发`);
    if (m.done) {
      const ev = (await ctx.tx.event.findMany({ where: { itemId: item.id, kind: "节点" }, orderBy: { id: "desc" } })).find((e) => milestoneOf(e.detail) === m.seq);
      const when = ev ? `已于${fmtDate(ctx.cal.today(ev.at), ctx.today)}完成` : "已完成";
      const next = milestones.find((x) => !x.done);
      await ctx.reply(`#${item.no} 第 ${m.seq} 个节点（截止 ${fmtDate(m.deadline, ctx.today)}）${when}，无需重复报告${next ? `；下一个节点是第 ${next.seq} 个，截止 ${fmtDate(next.deadline, ctx.today)}` : ""}`);
      return;
    }
    await ctx.tx.milestone.update({ where: { id: m.id }, data: { done: true } });
    await ctx.items.event(item, ctx.sender.id, "节点", milestoneDetail(m.seq, m.deadline, a.note));
    const left = milestones.filter((x) => !x.done && x.id !== m.id);
    const late = m.deadline < ctx.today ? `（比节点时限晚 ${ctx.cal.workdaysBetween(m.deadline, ctx.today)} 个工作日）` : "";
    const next = left.length
      ? `还有 ${left.length} 个节点，下一个：第 ${left[0].seq} 个，截止 ${fmtDate(left[0].deadline, ctx.today)}`
      : `节点已全部完成，请发送 /整改 #${item.no} 整改情况 申请验收销号，并附照片`;
    await ctx.reply(`已记录 #${item.no} 第 ${m.seq} 个节点（截止 ${fmtDate(m.deadline, ctx.today)}）完成${late}\n${next}`);
  },
});
