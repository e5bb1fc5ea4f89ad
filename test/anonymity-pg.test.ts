// SPEC §7 anonymity on PostgreSQL (issue 13): a deleted row stays in the table file as a dead tuple until
// VACUUM, and in the write-ahead log (and so in WAL archives and replicas) for good. Nothing readable may tie
// the reporter to the item there either: the reply row is sealed (crypto-shredding, src/core/outbox.ts) —
// what survives is ciphertext whose key is gone. Read here byte for byte: every relation file of the
// database (tables, TOAST, indexes) after a CHECKPOINT, and the WAL written during the test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { SEALED_TARGET } from "../src/core/outbox.ts";
import { pgConnect } from "../src/db/postgres-engine.ts";
import { bot } from "./helpers.ts";
import { pgAvailable, PG_SKIP_REASON, TEST_PG_URL } from "./pg.ts";

const REPORTER = "wxid_7pg2anon9reporter"; // not in the roster: anyone may report anonymously
const MESSAGE_ID = "wxmsg-anon-pg-5521-qq";

/** Reading the server's files over the connection needs a superuser (pg_read_server_files, CHECKPOINT). */
async function superuser(): Promise<boolean> {
  if (!(await pgAvailable())) return false;
  const c = await pgConnect(TEST_PG_URL);
  try {
    return (await c.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).rows[0]?.rolsuper === true;
  } finally {
    await c.end();
  }
}
const able = await superuser();
if (!able) console.warn(`[anonymity-pg] skipped: ${(await pgAvailable()) ? "the test user is not a superuser (cannot read the server's files)" : PG_SKIP_REASON}`);

describe.skipIf(!able)("the anonymous reporter leaves no residue on PostgreSQL", () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = await pgConnect(TEST_PG_URL);
  });
  afterAll(() => admin.end());

  it("in no table, TOAST or index file, dead tuples included, nor in the WAL written meanwhile", async () => {
    const walFrom = (await admin.query("SELECT pg_current_wal_lsn() AS l")).rows[0].l as string;
    const b = await bot({ store: "postgresql" });
    try {
      const got = await b.say(REPORTER, "/匿名上报 村主任在低保评定中优亲厚友，把名额给了自己的亲戚 #懒政怠政", undefined, MESSAGE_ID);
      const reply = got.filter((o) => o.to === REPORTER);
      expect(reply).toEqual([expect.objectContaining({ text: expect.stringMatching(/^已匿名登记 #1/) })]);
      const code = /查询码[：:]\s*([A-Z0-9]{4,})/.exec(reply[0].text!)?.[1];
      expect(code).toBeTruthy();
      await b.sim.app!.tick();
      expect(await b.db.outbox.count({ where: { sealed: true } })).toBe(0); // sent, deleted: a dead tuple now

      // every row of every table, as the database answers: none names the reporter or the message
      const tables = (await b.db.$queryRaw<{ t: string }[]>`SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`).map((r) => r.t);
      expect(tables).toEqual(expect.arrayContaining(["Item", "Event", "Outbox", "ProcessedMessage"]));
      for (const t of tables) {
        const rows = await b.db.$queryRawUnsafe<{ j: string }[]>(`SELECT row_to_json(x)::text AS j FROM "${t}" x`);
        for (const r of rows) expect(r.j, t).not.toMatch(new RegExp(`${REPORTER}|${MESSAGE_ID}|${code}`));
      }

      // the files: written out, then read byte for byte (on this server, through the connection)
      const db = (await b.db.$queryRaw<{ d: string }[]>`SELECT current_database() AS d`)[0].d;
      await admin.query("CHECKPOINT");
      const rels = await b.db.$queryRaw<{ name: string; path: string; size: bigint }[]>`
        SELECT c.relname AS name, pg_relation_filepath(c.oid) AS path, pg_relation_size(c.oid) AS size FROM pg_class c
        WHERE c.relkind IN ('r', 't', 'i') AND pg_relation_filepath(c.oid) IS NOT NULL AND c.relnamespace IN
          (SELECT oid FROM pg_namespace WHERE nspname IN ('public', 'pg_toast'))`;
      const needles = { reporter: REPORTER, reply: reply[0].text!, "message id": MESSAGE_ID, "查询码": code! };
      let tableBytes: Buffer = Buffer.alloc(0);
      for (const r of rels) {
        if (!Number(r.size)) continue;
        // (the server's files, relative to its data directory: segments of 1 GB, these are far smaller)
        const bytes = (await admin.query("SELECT pg_read_binary_file($1) AS b", [r.path])).rows[0].b as Buffer;
        for (const [what, s] of Object.entries(needles)) expect(bytes.includes(Buffer.from(s, "utf8")), `${what} in ${r.name} (${db}/${r.path})`).toBe(false);
        if (r.name === "Outbox") tableBytes = bytes;
      }
      // the WAL since the test began (shared by the server's databases; the needles are this test's own)
      const walTo = (await admin.query("SELECT pg_current_wal_lsn() AS l")).rows[0].l as string;
      const segs = (await admin.query(`SELECT name FROM pg_ls_waldir() WHERE name >= pg_walfile_name($1) AND name <= pg_walfile_name($2) ORDER BY name`, [walFrom, walTo])).rows.map((r) => r.name as string);
      expect(segs.length).toBeGreaterThan(0);
      let walBytes = 0;
      let walHasSealed = false;
      for (const s of segs) {
        const bytes = (await admin.query("SELECT pg_read_binary_file('pg_wal/' || $1) AS b", [s])).rows[0].b as Buffer;
        walBytes += bytes.length;
        for (const [what, n] of Object.entries(needles)) expect(bytes.includes(Buffer.from(n, "utf8")), `${what} in pg_wal/${s}`).toBe(false);
        walHasSealed ||= bytes.includes(Buffer.from(SEALED_TARGET, "utf8"));
      }
      // (what the test reads is where the row went: its stand-in recipient is there, the deleted row in
      // the table file as a dead tuple, and in the WAL)
      expect(walHasSealed || tableBytes.includes(Buffer.from(SEALED_TARGET, "utf8"))).toBe(true);
      expect(walBytes).toBeGreaterThan(0);

      // the dedupe claim holds neither the message key nor the instant of the report; a redelivery is still one
      for (const c of await b.db.processedMessage.findMany()) {
        expect(c.key).not.toContain(MESSAGE_ID);
        expect(b.sim.cal.iso(c.at)).toMatch(/T00:00:00\+08:00$/);
      }
      expect(await b.say(REPORTER, "/匿名上报 村主任在低保评定中优亲厚友，把名额给了自己的亲戚 #懒政怠政", undefined, MESSAGE_ID)).toEqual([]);
      expect(await b.db.item.count()).toBe(1);
    } finally {
      await b.close();
    }
  });
});
