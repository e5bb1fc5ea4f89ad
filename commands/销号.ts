import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { isAnonymous, levelFor, showsTimeline } from "../src/domain/visibility.ts";

export default defineCommand({
  name: "销号",
  aliases: ["验收", "通过"],
  who: "office",
  usage: "/销号 #编号 [验收意见]",
  summary: "验收通过，问题销号",
  from: (p) => ({ item: p.refs[0], opinion: [p.keys["意见"], ...p.words].filter(Boolean).join(" ") || undefined }),
  args: (r) => z.object({ item: r.itemNo, opinion: r.text("验收意见", 500).optional() }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "销号");
    // separation of duties (SPEC §1): no submitter of any round, nor the assignee, nor the unit's 负责人
    await ctx.items.assertMayClose(item, ctx.sender);
    const evidence = await ctx.tx.evidence.count({ where: { itemId: item.id } });
    const updated = await ctx.items.update(item, { status: "已销号", closedAt: ctx.now });
    await ctx.items.event(updated, ctx.sender.id, "销号", a.opinion ?? "");
    await ctx.reply(`#${item.no} 已验收销号${evidence ? `（佐证照片 ${evidence} 张）` : ""}${a.opinion ? `\n验收意见：${a.opinion}` : ""}`);
    // the loop closes with everyone concerned, each told as much as they may see: the unit (its group,
    // @-mentioning the assignee and 负责人, or those people privately) and the reporter, privately
    const reporter = isAnonymous(updated) ? null : updated.reporterId;
    for (const { audience, ...to } of await ctx.items.concerned(updated, { except: ctx.sender.id, also: [reporter] })) {
      const title = ctx.items.title(audience, updated);
      const opinion = a.opinion && showsTimeline(levelFor(ctx.org, audience, updated)) ? `\n验收意见：${a.opinion}` : "";
      const mine = to.target.kind === "contact" && to.target.id === reporter && reporter !== updated.assigneeId;
      const text = mine
        ? `你反映的问题 #${item.no}${title ? " " + title : ""} 已整改到位，经${ctx.org.office.short}验收销号。${opinion}${ctx.org.isOffice(ctx.org.person(reporter)) ? "" : "\n感谢你的监督。"}`
        : `【销号】#${item.no}${title ? " " + title : ""} 已验收销号。${opinion}`;
      await ctx.send({ ...to, text });
    }
  },
});
