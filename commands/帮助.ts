import { z } from "zod";
import { defineCommand, offered } from "../src/core/command.ts";
import { fold } from "../src/core/text.ts";

export default defineCommand({
  name: "帮助",
  aliases: ["help", "?", "？"],
  who: "anyone",
  usage: "/帮助 [命令]",
  summary: "查看你能用的命令，或某个命令的用法",
  from: (p) => ({ command: p.words[0] }),
  args: () => z.object({ command: z.string().optional() }),
  async run(ctx, a) {
    const mine = ctx.commands.filter((c) => offered(c, ctx.sender));
    if (a.command) {
      const w = fold(a.command).replace(/^\//, "");
      const c = ctx.commands.find((x) => x.name === w || x.aliases?.includes(w));
      if (!c) {
        await ctx.reply(`没有 /${w} 这个命令，发送 /帮助 查看可用命令`);
        return;
      }
      const alias = c.aliases?.length ? `\n别名：${c.aliases.map((x) => "/" + x).join(" ")}` : "";
      const note = mine.includes(c) ? "" : "\n（你目前没有使用此命令的权限）";
      await ctx.reply(`${c.usage}\n${c.summary}${alias}${note}`);
      return;
    }
    // one short line a command (a phone screen); the whole usage with /帮助 命令名
    const lines = [`${ctx.cfg.org}作风整顿督办助手，你可以用：`];
    for (const c of mine) lines.push(`/${c.name}　${c.summary}`);
    if (!ctx.sender.member) lines.push(`你还不在名册中，如需办理其他事项，请联系${ctx.org.office.short}登记。`);
    lines.push("发送 /帮助 命令名 查看某个命令的用法");
    await ctx.reply(lines.join("\n"));
  },
});
