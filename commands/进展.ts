import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";

export default defineCommand({
  name: "进展",
  aliases: ["进度"],
  who: "registered",
  usage: "/进展 #编号 <进展说明>",
  summary: "记录整改进展",
  offer: (p) => !!p.unit, // only people of a unit take on, report on and rectify items
  from: (p) => ({ item: p.refs[0], note: p.words.join(" ") }),
  args: (r) => z.object({ item: r.itemNo, note: r.text("进展说明", 500) }),
  async run(ctx, a) {
    const item = await ctx.items.get(a.item);
    ctx.items.check(item, "进展");
    ctx.items.assertWorker(item, ctx.sender, "记录进展");
    await ctx.items.event(item, ctx.sender.id, "进展", a.note);
    await ctx.reply(`已记录 #${item.no} 的整改进展`);
  },
});
