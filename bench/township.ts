// The benchmark township, far larger than any real one: 600 units, 20,000 members, 100,000 open items
// (two thirds overdue), 400 village groups and a circular group. Built once under .tmp/bench; on
// PostgreSQL (buildPgTownship), the same rows in a fresh database, checked against the file (sameTownship).
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { App } from "../src/app.ts";
import type { Config } from "../src/config/schema.ts";
import { silentLogger } from "../src/core/log.ts";
import { configSchema } from "../src/config/schema.ts";
import { openDatabase } from "../src/db/client.ts";
import { Calendar } from "../src/domain/calendar.ts";
import { benchDatabase, pgClient, type BenchDatabase } from "./pg.ts";

/** Prisma's text form of a DateTime in SQLite (the rows below are written with better-sqlite3 directly). */
const dbTime = (d: Date) => d.toISOString().replace("Z", "+00:00");

export const DIR = path.resolve(".tmp/bench");
export const DB = path.join(DIR, "reminders.db");
const UNITS = 600;
const MEMBERS = 20_000;
const ITEMS = 100_000;
export const DAY = "2026-06-10"; // a Wednesday
export const NOW = new Date("2026-06-10T09:00:00+08:00");

export function config(): Config {
  const units = Array.from({ length: UNITS }, (_, i) => ({ name: `单位${i + 1}`, kind: i < 400 ? "村" : "部门", head: `m${i * 33}`, leader: `lead${i % 10}` }));
  const members: object[] = [];
  for (let i = 0; i < 10; i++) members.push({ id: `lead${i}`, name: `领导${i}`, roles: ["领导"] });
  for (let i = 0; i < 3; i++) members.push({ id: `ban${i}`, name: `督办${i}`, roles: ["督办员"] });
  for (let i = 0; members.length < MEMBERS; i++) {
    const u = Math.floor(i / 33) % UNITS;
    members.push({ id: `m${i}`, name: `干部${i}`, unit: `单位${u + 1}`, roles: i % 33 === 0 ? ["负责人"] : ["干部"] });
  }
  return configSchema.parse({
    org: "基准镇",
    campaign: { name: "2026年干部作风整顿", start: "2026-02-10", end: "2026-11-20", categories: [{ code: "作风", name: "作风问题" }] },
    units,
    members,
  });
}

/** The township's items in number order (each with its 上报 event), the same every time. */
function* townshipItems(cfg: Config) {
  const cal = new Calendar(cfg.timezone);
  let seed = 42; // mulberry32: the same township every time
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let no = 1; no <= ITEMS; no++) {
    const u = Math.floor(rnd() * UNITS);
    const m = u * 33 + 1 + Math.floor(rnd() * 32);
    const assignee = m < MEMBERS - 13 && rnd() < 0.8 ? `m${m}` : null;
    const deadline = cal.addDays(DAY, Math.floor(rnd() * 90) - 60); // two thirds already overdue
    const status = rnd() < 0.1 ? "待验收" : "整改中";
    const created = new Date(NOW.getTime() - 86_400_000 * 30);
    yield { no, title: `问题${no}：村务公开栏未按时更新`, unit: `单位${u + 1}`, assignee, status, deadline, created };
  }
}

/** The 400 villages have a work group each, plus one circular group. */
function townshipRooms() {
  return [...Array.from({ length: 400 }, (_, u) => ({ id: `r${u}@chatroom`, topic: `单位${u + 1}工作群`, unit: `单位${u + 1}` as string | null, circular: false })), { id: "circ@chatroom", topic: "作风整顿工作群", unit: null, circular: true }];
}

async function setup(cfg: Config) {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const { db } = await openDatabase("file:" + DB);
  await db.$disconnect();
  const raw = new Database(DB);
  const ins = raw.prepare(`INSERT INTO Item (campaign, no, title, category, unitName, assigneeId, anonymous, status, deadline, longTerm, createdAt) VALUES (?, ?, ?, '作风', ?, ?, 0, ?, ?, 0, ?)`);
  const ev = raw.prepare(`INSERT INTO Event (itemId, at, actorId, kind, detail, toStatus, toUnit, toAssignee, toDeadline) VALUES (?, ?, NULL, ?, '', ?, ?, ?, ?)`);
  raw.transaction(() => {
    for (const it of townshipItems(cfg)) {
      const created = dbTime(it.created);
      const id = ins.run(cfg.campaign.name, it.no, it.title, it.unit, it.assignee, it.status, it.deadline, created).lastInsertRowid;
      // its timeline, as the commands write it (circulars are reconstructed from it)
      ev.run(id, created, "上报", it.status, it.unit, it.assignee, it.deadline);
    }
  })();
  const room = raw.prepare(`INSERT INTO Room (id, topic, unitName, circular, updatedAt) VALUES (?, ?, ?, ?, ?)`);
  raw.transaction(() => {
    for (const r of townshipRooms()) room.run(r.id, r.topic, r.unit, r.circular ? 1 : 0, dbTime(NOW));
  })();
  raw.close();
}

/**
 * The same township on PostgreSQL: a fresh database on `server` (bench/pg.ts; the caller drops it),
 * migrated by openDatabase, then the same rows as the SQLite file — items and events with the same ids
 * (SQLite numbers them 1, 2, … in insertion order; here they are given and the sequences moved past
 * them) — in one transaction, 10,000 rows a statement (unnest of arrays), then VACUUM (ANALYZE) as
 * SQLite's openDatabase runs its optimize. Checked against the SQLite township (sameTownship) by the caller.
 */
export async function buildPgTownship(server: string): Promise<{ db: BenchDatabase; ms: number }> {
  const t = performance.now();
  const fresh = await benchDatabase(server, "township");
  try {
    const cfg = config();
    const { db, read } = await openDatabase(fresh.url);
    await read.$disconnect();
    await db.$disconnect();
    const c = await pgClient(fresh.url);
    try {
      await c.query("BEGIN");
      const CHUNK = 10_000;
      const utc = (d: Date) => d.toISOString().slice(0, 23); // timestamp without time zone, in UTC (as Prisma writes it)
      let batch: ReturnType<typeof townshipItems> extends Generator<infer T> ? T[] : never = [];
      const flush = async () => {
        if (!batch.length) return;
        const col = <K extends keyof (typeof batch)[number]>(k: K) => batch.map((r) => r[k]);
        const ids = col("no"); // id = no, as in the SQLite file
        const created = batch.map((r) => utc(r.created));
        await c.query(
          `INSERT INTO "Item" ("id", "campaign", "no", "title", "category", "unitName", "assigneeId", "anonymous", "status", "deadline", "longTerm", "createdAt")
           SELECT x.id, $1, x.id, x.title, '作风', x.unit, x.assignee, false, x.status, x.deadline, false, x.created::timestamp
           FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS x(id, title, unit, assignee, status, deadline, created)`,
          [cfg.campaign.name, ids, col("title"), col("unit"), col("assignee"), col("status"), col("deadline"), created],
        );
        await c.query(
          `INSERT INTO "Event" ("id", "itemId", "at", "actorId", "kind", "detail", "toStatus", "toUnit", "toAssignee", "toDeadline")
           SELECT x.id, x.id, x.created::timestamp, NULL, '上报', '', x.status, x.unit, x.assignee, x.deadline
           FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(id, unit, assignee, status, deadline, created)`,
          [ids, col("unit"), col("assignee"), col("status"), col("deadline"), created],
        );
        batch = [];
      };
      for (const it of townshipItems(cfg)) {
        batch.push(it);
        if (batch.length === CHUNK) await flush();
      }
      await flush();
      for (const table of ["Item", "Event"]) await c.query(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), (SELECT max("id") FROM "${table}"))`);
      const rooms = townshipRooms();
      await c.query(
        `INSERT INTO "Room" ("id", "topic", "unitName", "circular", "updatedAt") SELECT x.id, x.topic, x.unit, x.circular, $5::timestamp FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) AS x(id, topic, unit, circular)`,
        [rooms.map((r) => r.id), rooms.map((r) => r.topic), rooms.map((r) => r.unit), rooms.map((r) => r.circular), utc(NOW)],
      );
      await c.query("COMMIT");
      await c.query("VACUUM (ANALYZE)");
    } finally {
      await c.end().catch(() => {});
    }
  } catch (e) {
    await fresh.drop();
    throw e;
  }
  return { db: fresh, ms: performance.now() - t };
}

// What sameTownship compares, row by row in id order: every column the township fills (the times as
// Prisma's SQLite text, booleans as 0/1).
const PG_TIME = (col: string) => `to_char("${col}", 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')`;
const COMPARED: Record<string, { cols: string[]; times: string[]; bools: string[]; key: string }> = {
  Item: { cols: ["id", "campaign", "no", "title", "category", "unitName", "assigneeId", "reporterId", "anonymous", "status", "deadline", "measures", "longTerm", "plan", "submitterId", "sourceRoomId", "queryCodeHash", "createdAt", "closedAt"], times: ["createdAt", "closedAt"], bools: ["anonymous", "longTerm"], key: "id" },
  Event: { cols: ["id", "itemId", "at", "actorId", "kind", "detail", "chatId", "messageKey", "toStatus", "toUnit", "toAssignee", "toDeadline"], times: ["at"], bools: [], key: "id" },
  Room: { cols: ["id", "topic", "unitName", "circular", "circularFull", "boundById", "updatedAt"], times: ["updatedAt"], bools: ["circular", "circularFull"], key: "id" },
};

/**
 * The PostgreSQL township against the SQLite file: the row count of every table, and a SHA-256 of every
 * row of Item, Event and Room in id order. Throws on the first difference; returns the counts.
 */
export async function sameTownship(pgUrl: string, file = DB): Promise<Record<string, number>> {
  const lite = new Database(file, { readonly: true });
  const c = await pgClient(pgUrl);
  try {
    const { rows: tables } = await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY 1`);
    const counts: Record<string, number> = {};
    for (const { t } of tables) {
      const p = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
      const s = Number((lite.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n);
      if (p !== s) throw new Error(`township on PostgreSQL differs from ${file}: ${t} has ${p} rows there, ${s} in SQLite`);
      counts[t] = p;
    }
    for (const [t, spec] of Object.entries(COMPARED)) {
      const hp = createHash("sha256");
      const hs = createHash("sha256");
      const pgCols = spec.cols.map((k) => (spec.times.includes(k) ? `${PG_TIME(k)} AS "${k}"` : spec.bools.includes(k) ? `CASE WHEN "${k}" THEN 1 ELSE 0 END AS "${k}"` : `"${k}"`));
      const { rows } = await c.query({ text: `SELECT ${pgCols.join(", ")} FROM "${t}" ORDER BY "${spec.key}"`, rowMode: "array" });
      for (const r of rows) hp.update(JSON.stringify(r) + "\n");
      for (const r of lite.prepare(`SELECT ${spec.cols.map((k) => `"${k}"`).join(", ")} FROM "${t}" ORDER BY "${spec.key}"`).raw().iterate()) hs.update(JSON.stringify(r) + "\n");
      if (hp.digest("hex") !== hs.digest("hex")) throw new Error(`township on PostgreSQL differs from ${file}: the rows of ${t} are not the same`);
    }
    return counts;
  } finally {
    lite.close();
    await c.end().catch(() => {});
  }
}

export async function ensureTownship(rebuild = false): Promise<void> {
  if (existsSync(DB) && !rebuild) return;
  const t = performance.now();
  await setup(config());
  console.log(`built ${ITEMS} items, ${UNITS} units, ${MEMBERS} members in ${((performance.now() - t) / 1000).toFixed(1)} s (${DB})`);
}

/** A channel that takes every message and sends it nowhere (benchmarks measure Duban, not a chat). */
export const nullChannel = { name: "null", limits: { maxBytes: 2000, perTarget: 1e9, windowMs: 60_000, files: true }, account: () => "", start: async () => {}, canReach: () => true, send: async () => {}, stop: async () => {} };

/** A Duban on a fresh copy (`<name>.db`) of the township, its clock stopped at NOW. */
export async function openTownship(name: string): Promise<App> {
  await ensureTownship();
  const file = path.join(DIR, `${name}.db`);
  for (const f of [file, file + "-wal", file + "-shm"]) rmSync(f, { force: true });
  copyFileSync(DB, file);
  return App.open({ cfg: config(), databaseUrl: "file:" + file, clock: { now: () => NOW }, channels: [nullChannel], log: silentLogger, evidenceDir: path.join(DIR, "evidence") });
}
