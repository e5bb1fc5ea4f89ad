// The benchmark township, far larger than any real one: 600 units, 20,000 members, 100,000 open items
// (two thirds overdue), 400 village groups and a circular group. Built once under .tmp/bench.
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
import { dbTime } from "../src/core/outbox.ts";

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

async function setup(cfg: Config) {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const { db } = await openDatabase("file:" + DB);
  await db.$disconnect();
  const raw = new Database(DB);
  const cal = new Calendar(cfg.timezone);
  const ins = raw.prepare(`INSERT INTO Item (campaign, no, title, category, unitName, assigneeId, anonymous, status, deadline, longTerm, createdAt) VALUES (?, ?, ?, '作风', ?, ?, 0, ?, ?, 0, ?)`);
  let seed = 42; // mulberry32: the same township every time
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ev = raw.prepare(`INSERT INTO Event (itemId, at, actorId, kind, detail, toStatus, toUnit, toAssignee, toDeadline) VALUES (?, ?, NULL, ?, '', ?, ?, ?, ?)`);
  raw.transaction(() => {
    for (let no = 1; no <= ITEMS; no++) {
      const u = Math.floor(rnd() * UNITS);
      const m = u * 33 + 1 + Math.floor(rnd() * 32);
      const assignee = m < MEMBERS - 13 && rnd() < 0.8 ? `m${m}` : null;
      const deadline = cal.addDays(DAY, Math.floor(rnd() * 90) - 60); // two thirds already overdue
      const status = rnd() < 0.1 ? "待验收" : "整改中";
      const created = dbTime(new Date(NOW.getTime() - 86_400_000 * 30));
      const id = ins.run(cfg.campaign.name, no, `问题${no}：村务公开栏未按时更新`, `单位${u + 1}`, assignee, status, deadline, created).lastInsertRowid;
      // its timeline, as the commands write it (circulars are reconstructed from it)
      ev.run(id, created, "上报", status, `单位${u + 1}`, assignee, deadline);
    }
  })();
  // the 400 villages have a work group each, plus one circular group
  const room = raw.prepare(`INSERT INTO Room (id, topic, unitName, circular, updatedAt) VALUES (?, ?, ?, ?, ?)`);
  raw.transaction(() => {
    for (let u = 0; u < 400; u++) room.run(`r${u}@chatroom`, `单位${u + 1}工作群`, `单位${u + 1}`, 0, dbTime(NOW));
    room.run("circ@chatroom", "作风整顿工作群", null, 1, dbTime(NOW));
  })();
  raw.close();
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
