import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { hashQueryCode, newQueryCode } from "../src/domain/query-code.ts";

// The reporter's identity is stored nowhere: the item has no reporter, its event no actor, chat or
// message key, the log line no sender, and the one private reply is deleted from the outbox once sent.
// The reply carries a random 查询码 for /匿名查询; the item keeps only its sha256.
export default defineCommand({
  name: "匿名上报",
  who: "anyone",
  where: "private",
  anonymous: true,
  usage: "/匿名上报 <问题描述> [#类别]（仅限私聊）",
  summary: "匿名反映问题，不记录你的身份",
  from: (p) => ({ title: [...p.words, ...p.mentions.map((m) => "@" + m)].join(" "), category: p.tags[0] }),
  args: (r) => z.object({ title: r.text("问题描述", 300), category: r.category.optional() }),
  async run(ctx, a) {
    const code = newQueryCode();
    const item = await ctx.items.create({
      title: a.title,
      category: a.category,
      reporterId: null,
      anonymous: true,
      status: "待交办",
      queryCodeHash: hashQueryCode(code),
      detail: a.title,
    });
    await ctx.reply(
      `已匿名登记 #${item.no}：${a.title}\n查询码：${code}\n请记下查询码，私聊发送 /匿名查询 ${code} 可查看办理情况（查询码丢失无法补发）。\n系统不保存你的身份，此条回复发出后也不留存。请勿在群里透露你反映过此事。`,
      { ephemeral: true },
    );
    for (const o of await ctx.items.tellOffice(`【新问题待交办】#${item.no} ${a.title}${a.category ? `\n类别：${a.category}` : ""}\n来源：匿名\n交办：/交办 #${item.no} @单位 截止:日期`))
      await ctx.send(o);
  },
});
