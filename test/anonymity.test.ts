// SPEC §7: once the anonymous reporter's private reply is sent, nothing a reader of the database's files
// can see ties the reporter to the item — also while another connection holds a read snapshot (so the
// WAL cannot be checkpointed or truncated), by construction (sealed rows, crypto-shredding), not by
// scrubbing after the fact.
import { readFileSync, existsSync } from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/core/log.ts";
import { insertOutgoing, SEALED_TARGET } from "../src/core/outbox.ts";
import { SEALED_ORPHAN_MS } from "../src/core/sender.ts";
import { bot } from "./helpers.ts";

const REPORTER = "wxid_9kq3anon7reporter"; // not in the roster: anyone may report anonymously
const MESSAGE_ID = "wxmsg-anon-4471-zz";

describe("the anonymous reporter leaves no residue", () => {
  it("in the database file, its WAL and shared memory, while another connection holds a read snapshot", async () => {
    const b = await bot({ store: "sqlite" }); // (PostgreSQL: test/anonymity-pg.test.ts)
    const file = b.sim.databaseFile;
    // another process reading: its snapshot keeps every WAL frame written after it from being
    // checkpointed over or truncated away
    const reader = new Database(file, { readonly: true });
    reader.exec("BEGIN");
    reader.prepare(`SELECT COUNT(*) AS n FROM "Item"`).get();

    const got = await b.say(REPORTER, "/匿名上报 村主任在低保评定中优亲厚友，把名额给了自己的亲戚 #懒政怠政", undefined, MESSAGE_ID);
    const reply = got.filter((o) => o.to === REPORTER);
    expect(reply).toEqual([expect.objectContaining({ text: expect.stringMatching(/^已匿名登记 #1/) })]);
    await b.sim.app!.tick(); // (a checkpoint: it cannot get past the reader)
    expect(await b.db.outbox.count({ where: { sealed: true } })).toBe(0); // sent, deleted

    const needles = { reporter: REPORTER, reply: reply[0].text!, "message id": MESSAGE_ID };
    for (const f of [file, file + "-wal", file + "-shm"]) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      for (const [what, s] of Object.entries(needles)) expect(bytes.includes(Buffer.from(s, "utf8")), `${what} in ${f}`).toBe(false);
    }
    expect(readFileSync(file + "-wal").length).toBeGreaterThan(0); // (the WAL really was kept)
    // the dedupe claim holds neither the message key nor the instant of the report
    const claims = await b.db.processedMessage.findMany();
    expect(claims.length).toBeGreaterThan(0);
    for (const c of claims) {
      expect(c.key).not.toContain(MESSAGE_ID);
      expect(b.sim.cal.iso(c.at)).toMatch(/T00:00:00\+08:00$/);
    }
    // and still dedupes a redelivery
    expect(await b.say(REPORTER, "/匿名上报 村主任在低保评定中优亲厚友，把名额给了自己的亲戚 #懒政怠政", undefined, MESSAGE_ID)).toEqual([]);
    expect(await b.db.item.count()).toBe(1);
    reader.exec("COMMIT");
    reader.close();
    await b.close();
  });

  it("a sealed row is stored without its recipient or its words, and is gone once sent", async () => {
    const b = await bot();
    b.sim.world.contact(REPORTER);
    const now = b.sim.clock.now();
    await b.db.$transaction((tx) => insertOutgoing(tx, [{ target: { kind: "contact", id: REPORTER }, text: "你的匿名查询码是 Q7X9", ephemeral: true, direct: true }], now));
    const row = await b.db.outbox.findFirstOrThrow({ where: { sealed: true } });
    expect(row.targetId).toBe(SEALED_TARGET);
    expect(JSON.stringify(row)).not.toMatch(new RegExp(`${REPORTER}|Q7X9|查询码`));
    await b.sim.app!.sender.drain();
    expect(b.out.at(-1)).toEqual(expect.objectContaining({ to: REPORTER, text: "你的匿名查询码是 Q7X9" }));
    expect(await b.db.outbox.count()).toBe(await b.db.outbox.count({ where: { sealed: false } }));
    await b.close();
  });

  it("a sealed row of a process that died is removed once it is a few minutes old (only a count is logged); a fresh one is left to its writer", async () => {
    const logs: string[] = [];
    const b = await bot({ log: createLogger("debug", (l) => logs.push(l)) });
    const now = b.sim.clock.now();
    const row = (createdAt: Date) => ({ targetKind: "contact", targetId: "sealed:0123456789abcdef", text: "dGFn.c2VhbGVk", ephemeral: true, sealed: true, direct: true, status: "pending", notBefore: createdAt, createdAt });
    const old = await b.db.outbox.create({ data: row(new Date(now.getTime() - SEALED_ORPHAN_MS - 1_000)) });
    const fresh = await b.db.outbox.create({ data: row(new Date(now.getTime() - 60_000)) });
    await b.at(new Date(now.getTime() + 61_000).toISOString());
    expect(await b.db.outbox.findUnique({ where: { id: old.id } })).toBeNull();
    expect(await b.db.outbox.findUnique({ where: { id: fresh.id } })).not.toBeNull(); // (its writer may be sending it)
    expect(b.out.filter((o) => o.text?.includes("c2VhbGVk"))).toEqual([]);
    expect(logs.filter((l) => l.includes("outbox.sealed_orphans_removed"))).toEqual([expect.stringContaining('"count":1')]);
    await b.at(new Date(now.getTime() + SEALED_ORPHAN_MS + 61_000).toISOString());
    expect(await b.db.outbox.findUnique({ where: { id: fresh.id } })).toBeNull();
    await b.close();
  });
});
