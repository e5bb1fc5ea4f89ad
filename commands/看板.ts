import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { issueLink, LINK_TTL_MS, webAddress } from "../src/web/auth.ts";

// A one-time link to the dashboard (SPEC §3 /看板), privately, for those who lead or supervise: 领导,
// 督办员, 负责人. The link is a secret: its message is ephemeral (deleted from the outbox once sent), only
// the token's hash is stored, and opening it needs a button press (chat clients fetch links to preview them).
export default defineCommand({
  name: "看板",
  aliases: ["仪表盘", "dashboard"],
  who: "officeOrHead",
  where: "private",
  usage: "/看板（仅限私聊）",
  summary: "打开工作看板（一次性链接，10 分钟内有效）",
  from: () => ({}),
  args: () => z.object({}),
  async run(ctx) {
    const t = await issueLink(ctx.tx, ctx.sender.id, ctx.now);
    // percent-encoded: a chat client that links only ASCII addresses still links all of it
    const url = `${webAddress().publicUrl}${encodeURI("/看板/")}login?t=${t}`;
    await ctx.reply(
      `${ctx.cfg.org}作风整顿工作看板：\n${url}\n链接只能用一次，${LINK_TTL_MS / 60_000} 分钟内有效，请勿转发；打开后 8 小时内免登录，用完请点「退出」。`,
      { ephemeral: true },
    );
  },
});
