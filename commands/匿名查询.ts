import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { fmtDate } from "../src/domain/calendar.ts";
import { hashQueryCode, normalizeQueryCode } from "../src/domain/query-code.ts";
import { stateText } from "../src/domain/visibility.ts";

// The anonymous reporter asks how their report is handled, by the 查询码 they received. Anyone may ask
// (the code is the credential), privately; the answer names no person and, like the report's own reply,
// is deleted from the outbox once sent. The sender is not logged (anonymous: true).
export default defineCommand({
  name: "匿名查询",
  who: "anyone",
  where: "private",
  anonymous: true,
  usage: "/匿名查询 <查询码>（仅限私聊）",
  summary: "凭查询码查看匿名反映的办理情况",
  from: (p) => ({ code: p.words.join("") || undefined }),
  args: () =>
    z.object({
      code: z
        .string({ error: "缺少查询码，如 /匿名查询 ABCDE-12345" })
        .transform((s, c) => normalizeQueryCode(s) ?? (c.addIssue({ code: "custom", message: "查询码应为 10 位字母和数字，如 ABCDE-12345" }), z.NEVER)),
    }),
  async run(ctx, a) {
    const item = await ctx.tx.item.findUnique({ where: { queryCodeHash: hashQueryCode(a.code) } });
    if (!item || !item.anonymous) throw new UserError("查询码不正确，请核对后重新发送；查询码丢失无法补发，如需再次反映，可私聊发送 /匿名上报");
    const closing = item.status === "已销号" ? await ctx.tx.event.findFirst({ where: { itemId: item.id, kind: "销号" }, orderBy: { id: "desc" } }) : null;
    const v = ctx.items.view;
    const rows = [
      `你匿名反映的问题 #${item.no}`,
      `状态：${stateText(v, item)}`,
      item.unitName && item.status !== "待交办" ? `已交办${item.unitName}整改${item.deadline ? `，限 ${fmtDate(item.deadline, ctx.today)} 前完成` : ""}` : `${ctx.org.office.short}正在核实，尚未交办`,
    ];
    if (item.measures) rows.push(`整改措施：${item.measures}`);
    if (item.longTerm && item.plan) rows.push(`列为长期整改：${item.plan}`);
    if (closing) rows.push(`已于${fmtDate(ctx.cal.today(closing.at), ctx.today)}验收销号${closing.detail ? `，验收意见：${closing.detail}` : ""}`);
    rows.push("此条回复发出后不留存。");
    await ctx.reply(rows.join("\n"), { ephemeral: true });
  },
});
