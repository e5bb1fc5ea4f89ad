// Wechaty as a channel: started by the app, its messages reach the pipeline as Inbound with the
// channel's name and the bot's account, and the answer goes back through it (mock puppet).
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { createDuban } from "../../src/app.ts";
import { createWechatyChannel } from "../../src/channels/wechaty/index.ts";
import { silentLogger } from "../../src/core/log.ts";
import { MockWorld } from "../../src/channels/mock/index.ts";
import { example } from "../helpers.ts";

it("a private message through the wechaty channel is answered through it, the row marked with the channel", async () => {
  const cfg = example();
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-wechaty-ch-"));
  const world = new MockWorld(cfg);
  await world.start();
  const handled: string[] = [];
  const channel = createWechatyChannel(world.bot, { name: "mock", done: (id) => handled.push(id) });
  const app = await createDuban({ cfg, databaseUrl: "file:" + path.join(dir, "d.db"), clock: { now: () => new Date("2026-03-02T10:00:00+08:00") }, channels: [channel], log: silentLogger, evidenceDir: path.join(dir, "evidence") });
  const member = cfg.members[0].id;
  world.deliver({ id: "w1", from: member, text: "/帮助", at: new Date("2026-03-02T10:00:00+08:00") });
  for (let i = 0; i < 200 && !handled.includes("w1"); i++) await new Promise((r) => setTimeout(r, 25));
  await app.sender.idle();
  const rows = await app.db.outbox.findMany();
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((r) => r.channel === "mock" && r.status === "sent")).toBe(true);
  expect(rows[0].account).toBe(channel.account());
  await app.close();
  await world.stop();
});
