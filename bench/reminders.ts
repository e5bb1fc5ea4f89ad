// A township far larger than any real one: 600 units, 20,000 members, 100,000 open items. Prints the
// wall time and peak RSS of one reminder run and of one monthly circular, each in its own process, beside
// a baseline process that only opens the same database (so the job's own cost is visible).
// Targets: reminder run ≤ 1.5 s and ≤ 300 MB; circular ≤ 1 s.
//   npm run bench:reminders            (builds the database once under .tmp/bench, then measures)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import type { Config } from "../src/config/schema.ts";
import { configSchema } from "../src/config/schema.ts";
import { openDatabase } from "../src/db/client.ts";
import { Calendar } from "../src/domain/calendar.ts";
import { Org } from "../src/domain/org.ts";
import { circularJob } from "../src/jobs/circular.ts";
import { remindersJob } from "../src/jobs/reminders.ts";

const DIR = path.resolve(".tmp/bench");
const DB = path.join(DIR, "reminders.db");
const UNITS = 600;
const MEMBERS = 20_000;
const ITEMS = 100_000;
const DAY = "2026-06-10"; // a Wednesday
const NOW = new Date("2026-06-10T09:00:00+08:00");

function config(): Config {
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
  raw.transaction(() => {
    for (let no = 1; no <= ITEMS; no++) {
      const u = Math.floor(rnd() * UNITS);
      const m = u * 33 + 1 + Math.floor(rnd() * 32);
      const assignee = m < MEMBERS - 13 && rnd() < 0.8 ? `m${m}` : null;
      const deadline = cal.addDays(DAY, Math.floor(rnd() * 90) - 60); // two thirds already overdue
      const status = rnd() < 0.1 ? "待验收" : "整改中";
      ins.run(cfg.campaign.name, no, `问题${no}：村务公开栏未按时更新`, `单位${u + 1}`, assignee, status, deadline, new Date(NOW.getTime() - 86_400_000 * 30).toISOString());
    }
  })();
  // the 400 villages have a work group each, plus one circular group
  const room = raw.prepare(`INSERT INTO Room (id, topic, unitName, circular, updatedAt) VALUES (?, ?, ?, ?, ?)`);
  raw.transaction(() => {
    for (let u = 0; u < 400; u++) room.run(`r${u}@chatroom`, `单位${u + 1}工作群`, `单位${u + 1}`, 0, NOW.toISOString());
    room.run("circ@chatroom", "作风整顿工作群", null, 1, NOW.toISOString());
  })();
  raw.close();
}

async function measure(job: "reminders" | "circular" | "baseline") {
  const cfg = config();
  const { db } = await openDatabase("file:" + DB);
  const cal = new Calendar(cfg.timezone);
  const org = new Org(cfg);
  const t0 = performance.now();
  let messages = 0;
  if (job !== "baseline") {
    await db.$transaction(
      async (tx) => {
        const j = { tx, cfg, org, cal, now: NOW, today: DAY, filesDir: path.join(DIR, "files") };
        messages = job === "reminders" ? await remindersJob.run(j, DAY) : await circularJob.run(j, "2026-05");
        throw new Error("rollback"); // measure the run, keep the database as it was
      },
      { timeout: 600_000 },
    ).catch((e) => {
      if ((e as Error).message !== "rollback") throw e;
    });
  }
  const ms = performance.now() - t0;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  if (process.env.BENCH_DEBUG) console.error(JSON.stringify(process.memoryUsage()));
  console.log(JSON.stringify({ job, ms: Math.round(ms), rssMb: Math.round(rssMb), messages }));
  await db.$disconnect();
}

const mode = process.argv[2];
if (mode === "measure") {
  await measure(process.argv[3] as "reminders" | "circular" | "baseline");
} else {
  const cfg = config();
  if (!existsSync(DB) || process.argv.includes("--rebuild")) {
    const t = performance.now();
    await setup(cfg);
    console.log(`built ${ITEMS} items, ${UNITS} units, ${MEMBERS} members in ${((performance.now() - t) / 1000).toFixed(1)} s (${DB})`);
  }
  const run = (job: string) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.resolve("bench/reminders.ts"), "measure", job], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as { ms: number; rssMb: number; messages: number };
  };
  const base = run("baseline");
  const rem = run("reminders");
  const circ = run("circular");
  console.log(`baseline (open db, load roster):  peak RSS ${base.rssMb} MB`);
  console.log(`one reminder run:  ${rem.ms} ms, peak RSS ${rem.rssMb} MB (+${rem.rssMb - base.rssMb} MB over baseline), ${rem.messages} messages   targets ≤ 1500 ms, ≤ 300 MB`);
  console.log(`one circular:      ${circ.ms} ms, peak RSS ${circ.rssMb} MB, ${circ.messages} groups                      target ≤ 1000 ms`);
}
