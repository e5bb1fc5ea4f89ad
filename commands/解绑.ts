import { z } from "zod";
import { defineCommand } from "../src/core/command.ts";
import { UserError } from "../src/core/errors.ts";

// Undo this group's binding: the unit's notices then go to its other groups, or privately to its 负责人.
// A binding from the config (units[].rooms) comes back at the next start-up unless the file changes.
export default defineCommand({
  name: "解绑",
  who: "office",
  where: "group",
  usage: "/解绑 [通报]",
  summary: "在工作群里解除本群与单位的绑定（/解绑 通报：本群不再收月度通报）",
  from: (p) => ({ circular: p.words[0] === "通报" }),
  args: () => z.object({ circular: z.boolean() }),
  async run(ctx, a) {
    if (ctx.chat.kind !== "room") return;
    const room = await ctx.tx.room.findUnique({ where: { id: ctx.chat.id } });
    if (a.circular) {
      if (!room?.circular) throw new UserError("本群不是通报群，无需取消；设为通报群请发送 /绑定 通报");
      await ctx.tx.room.update({ where: { id: room.id }, data: { circular: false, boundById: ctx.sender.id, updatedAt: ctx.now } });
      const fromConfig = ctx.cfg.rooms.some((r) => r.name === room.topic && r.circular);
      await ctx.reply(`本群不再收月度通报${fromConfig ? "\n注意：配置文件 rooms 中本群仍标为 circular，重启后会恢复，请同时修改配置文件" : ""}`);
      return;
    }
    if (!room?.unitName) throw new UserError("本群没有绑定单位，无需解绑；如需绑定，请发送 /绑定 单位名称");
    await ctx.tx.room.update({ where: { id: room.id }, data: { unitName: null, boundById: ctx.sender.id, updatedAt: ctx.now } });
    const fromConfig = ctx.cfg.units.some((u) => u.name === room.unitName && u.rooms.includes(room.topic));
    const note = fromConfig ? `\n注意：配置文件中${room.unitName}的 rooms 仍列有本群，重启后会重新绑定，请同时修改配置文件` : "";
    await ctx.reply(`本群已解除与${room.unitName}的绑定，该单位的交办、提醒不再发到本群${note}`);
  },
});
