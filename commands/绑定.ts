import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";

export default defineCommand({
  name: "绑定",
  who: "office",
  where: "group",
  usage: "/绑定 [单位]（在工作群里发送）",
  summary: "把本群绑定到单位（交办、提醒发到本群）；不写单位则查看绑定",
  from: (p) => ({ unit: p.mentions[0] ?? p.words[0] }),
  args: (r) => z.object({ unit: r.unit.optional() }),
  async run(ctx, a) {
    if (ctx.chat.kind !== "room") return;
    const before = await ctx.tx.room.findUnique({ where: { id: ctx.chat.id } });
    if (!a.unit) {
      await ctx.reply(
        before?.unitName
          ? `本群已绑定到${before.unitName}，该单位的交办、提醒发到本群；如需解除，发送 /解绑`
          : "本群尚未绑定单位；绑定请发送 /绑定 单位名称",
      );
      return;
    }
    await ctx.tx.room.upsert({
      where: { id: ctx.chat.id },
      create: { id: ctx.chat.id, topic: ctx.chat.topic, unitName: a.unit, boundById: ctx.sender.id, updatedAt: ctx.now },
      update: { unitName: a.unit, boundById: ctx.sender.id, updatedAt: ctx.now },
    });
    const was = before?.unitName && before.unitName !== a.unit ? `（原绑定${before.unitName}）` : "";
    await ctx.reply(`本群已绑定到${a.unit}${was}，该单位的交办、提醒将发到本群`);
  },
});
