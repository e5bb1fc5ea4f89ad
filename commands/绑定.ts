import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";

export default defineCommand({
  name: "绑定",
  who: "office",
  where: "group",
  usage: "/绑定 <单位>（在该单位的工作群里发送）",
  summary: "把本群绑定到一个单位，交办和提醒发到本群",
  from: (p) => ({ unit: p.mentions[0] ?? p.words[0] }),
  args: (r) => z.object({ unit: r.unit }),
  async run(ctx, a) {
    if (ctx.chat.kind !== "room") return;
    const before = await ctx.tx.room.findUnique({ where: { id: ctx.chat.id } });
    await ctx.tx.room.upsert({
      where: { id: ctx.chat.id },
      create: { id: ctx.chat.id, topic: ctx.chat.topic, unitName: a.unit, boundById: ctx.sender.id, updatedAt: ctx.now },
      update: { unitName: a.unit, boundById: ctx.sender.id, updatedAt: ctx.now },
    });
    const was = before?.unitName && before.unitName !== a.unit ? `（原绑定${before.unitName}）` : "";
    await ctx.reply(`本群已绑定到${a.unit}${was}，该单位的交办、提醒将发到本群`);
  },
});
