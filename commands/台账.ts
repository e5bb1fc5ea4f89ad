import path from "node:path";
import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";
import { roomAudience, SENT_PRIVATELY } from "../src/domain/visibility.ts";
import { exportName } from "../src/reports/names.ts";

// Who gets which ledger (SPEC §1): the full ledger only to 督办员 and 领导 — privately, or in a group
// configured `circular: full`; a unit's own group, and its 负责人, only that unit's ledger with anonymous
// items redacted. Anything else asked in a group goes privately, with a one-line note in the group.
export default defineCommand({
  name: "台账",
  aliases: ["导出"],
  who: "officeOrHead",
  usage: "/台账 [@单位]",
  summary: "导出问题清单和整改台账（Excel 文件）",
  from: (p) => ({ unit: p.mentions[0] ?? p.words[0] }),
  args: (r) => z.object({ unit: r.unit.optional() }),
  // the ledger is written from a snapshot before the command's transaction: nobody waits meanwhile
  async prepare(r, a) {
    const office = r.org.isOffice(r.sender);
    // a 负责人 exports their own unit only
    const unit = office ? a.unit : (a.unit ?? r.sender.unit);
    if (!office && unit !== r.sender.unit) throw new UserError(`负责人只能导出本单位（${r.sender.unit}）的台账，如需其他单位的台账，请联系${r.org.office.short}`);
    let audience: "office" | "unit" = office ? "office" : "unit";
    let privately = false;
    if (r.chat.kind === "room") {
      const row = await r.read.room.findUnique({ where: { id: r.chat.id } });
      const here = roomAudience(r.cfg, { id: r.chat.id, topic: r.chat.topic, unitName: row?.unitName ?? null, circularFull: row?.circularFull ?? false });
      const room = here.kind === "room" ? here.room : undefined;
      if (room?.circularFull) privately = false;
      else if (unit && room?.unitName === unit) audience = "unit"; // the unit's own group: its own, redacted ledger
      else privately = true;
    }
    const file = path.join(r.filesDir, exportName(r.cfg, r.cal, r.now, "台账", unit));
    const { writeLedger } = await import("../src/reports/ledger.ts"); // exceljs, loaded on first use
    const { rows } = await writeLedger(r.read, r.cfg, r.org, r.cal, { file, now: r.now, unit, audience });
    return { file, rows, unit, privately };
  },
  async run(ctx, _a, p: { file: string; rows: number; unit?: string; privately: boolean }) {
    await ctx.reply(`${p.unit ?? ctx.cfg.org}问题整改台账（${p.rows} 个问题）见下方文件`, { privately: p.privately });
    await ctx.replyFile(p.file, { privately: p.privately });
    if (p.privately) await ctx.reply(SENT_PRIVATELY);
  },
});
