import path from "node:path";
import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { replyTarget } from "../src/core/context.ts";
import { exportName } from "../src/reports/names.ts";

export default defineCommand({
  name: "台账",
  aliases: ["导出"],
  who: "officeOrHead",
  usage: "/台账 [@单位]",
  summary: "导出问题清单和整改台账（Excel 文件）",
  from: (p) => ({ unit: p.mentions[0] ?? p.words[0] }),
  args: (r) => z.object({ unit: r.unit.optional() }),
  async run(ctx, a) {
    const office = ctx.org.isOffice(ctx.sender);
    // a 负责人 exports their own unit only
    const unit = office ? a.unit : (a.unit ?? ctx.sender.unit);
    if (!office && unit !== ctx.sender.unit) throw new UserError(`负责人只能导出本单位（${ctx.sender.unit}）的台账`);
    const file = path.join(ctx.filesDir, exportName(ctx.cfg, ctx.cal, ctx.now, "台账", unit));
    const { writeLedger } = await import("../src/reports/ledger.ts"); // exceljs, loaded on first use
    const { rows } = await writeLedger(ctx.tx, ctx.cfg, ctx.org, ctx.cal, { file, now: ctx.now, unit });
    await ctx.reply(`${unit ?? ctx.cfg.org}问题整改台账（${rows} 个问题）见下方文件`);
    const { target } = replyTarget(ctx.chat, ctx.sender.id);
    await ctx.send({ target, file });
  },
});
