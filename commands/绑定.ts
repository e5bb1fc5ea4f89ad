import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";

export default defineCommand({
  name: "绑定",
  who: "office",
  where: "group",
  usage: "/绑定 [单位 | 通报]（在工作群里发送）",
  summary: "把本群绑定到单位（交办、提醒发到本群），或设为通报群；不写则查看绑定",
  // `/绑定 通报`: this group gets the monthly circular's text and chart (what `rooms[].circular: true`
  // does in the config; the 智能机器人 cannot tell a group's name, so there it is the way to name one)
  from: (p) => (p.words[0] === "通报" && !p.mentions.length ? { circular: true } : { unit: p.mentions[0] ?? p.words[0] }),
  args: (r) => z.object({ unit: r.unit.optional(), circular: z.boolean().default(false) }),
  async run(ctx, a) {
    if (ctx.chat.kind !== "room") return;
    const before = await ctx.tx.room.findUnique({ where: { id: ctx.chat.id } });
    if (a.circular) {
      await ctx.tx.room.upsert({
        where: { id: ctx.chat.id },
        create: { id: ctx.chat.id, topic: ctx.chat.topic, circular: true, boundById: ctx.sender.id, updatedAt: ctx.now },
        update: { circular: true, boundById: ctx.sender.id, updatedAt: ctx.now },
      });
      await ctx.reply(before?.circular ? "本群已是通报群，月度通报正文和图表发到本群" : "本群已设为通报群：以后月度通报的正文和图表发到本群；取消请发送 /解绑 通报");
      return;
    }
    if (!a.unit) {
      const bound = before?.unitName ? `本群已绑定到${before.unitName}，该单位的交办、提醒发到本群；如需解除，发送 /解绑` : "本群尚未绑定单位；绑定请发送 /绑定 单位名称";
      await ctx.reply(before?.circular ? `${bound}\n本群是通报群（月度通报发到本群）` : bound);
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
