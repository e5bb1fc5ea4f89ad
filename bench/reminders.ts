// A township far larger than any real one: 600 units, 20,000 members, 100,000 open items. Prints the
// wall time and peak RSS of one reminder run and of one monthly circular, each in its own process, beside
// a baseline process that only opens the same database (so the job's own cost is visible); and the
// latency of /上报 commands sent one after another while the circular job runs (reports read a snapshot
// on the read-only connection and never hold the write lock).
// Targets: reminder run ≤ 1.5 s and ≤ 300 MB; circular ≤ 1 s; /上报 p99 during the circular job ≤ 50 ms.
// With PostgreSQL asked for (DATABASE_URL=postgresql://… naming a database on the server, or BENCH_PG=1
// for postgresql://postgres@127.0.0.1:5432/postgres), the same township is also built in a fresh
// PostgreSQL database (township.ts: checked row for row against the SQLite file; dropped afterwards) and
// the same five processes run on it, each right after its SQLite twin (the reminder run and the circular
// three times each: the median run is printed, with min–max); its figures are printed after SQLite's.
//   npm run bench:reminders            (builds the database once under .tmp/bench, then measures)
//   BENCH_PG=1 npm run bench:reminders
import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { App } from "../src/app.ts";
import { snapshot, openDatabase } from "../src/db/client.ts";
import { silentLogger } from "../src/core/log.ts";
import { buildPgTownship, config, DAY, DB, DIR, ensureTownship, NOW, nullChannel, sameTownship } from "./township.ts";
import { benchPgServer, dropAll, pgServerLabel } from "./pg.ts";
import { Calendar } from "../src/domain/calendar.ts";
import { Org } from "../src/domain/org.ts";
import { buildCircular, circularJob } from "../src/jobs/circular.ts";
import { remindersJob } from "../src/jobs/reminders.ts";
import { Scheduler } from "../src/jobs/scheduler.ts";

type Mode = "reminders" | "circular" | "circular-job" | "baseline" | "latency";

/** `url`: the township's database (the SQLite file when omitted). */
async function measure(job: Exclude<Mode, "latency">, url = "file:" + DB) {
  const cfg = config();
  const { db, read } = await openDatabase(url);
  const cal = new Calendar(cfg.timezone);
  const org = new Org(cfg);
  const t0 = performance.now();
  let messages = 0;
  if (job !== "baseline")
    await snapshot(read, async (r) => {
      const j = { read: r, cfg, org, cal, now: NOW, today: DAY, filesDir: path.join(DIR, "files") };
      if (job === "reminders") messages = (await remindersJob.build(j, DAY)).rows.length;
      else if (job === "circular") messages = (await buildCircular(r, cfg, cal, "2026-05", DAY)).ranked.length;
      else messages = (await circularJob.build(j, "2026-05")).rows.length;
    });
  const ms = performance.now() - t0;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ job, ms: Math.round(ms), rssMb: Math.round(rssMb), messages }));
  await read.$disconnect();
  await db.$disconnect();
}

/**
 * /上报 sent one after another, each as soon as the previous is answered, while the circular job runs:
 * on a copy of the SQLite township, or (`pgUrl`) on the PostgreSQL township itself (run last, dropped after).
 */
async function latency(pgUrl?: string) {
  const cfg = config();
  let databaseUrl = pgUrl;
  if (!databaseUrl) {
    const file = path.join(DIR, "latency.db");
    for (const f of [file, file + "-wal", file + "-shm"]) rmSync(f, { force: true });
    copyFileSync(DB, file);
    databaseUrl = "file:" + file;
  }
  const now = new Date("2026-06-03T10:00:00+08:00"); // June's 3rd workday: the circular for May is due
  const app = await App.open({ cfg, databaseUrl, clock: { now: () => now }, channels: [nullChannel], log: silentLogger, evidenceDir: path.join(DIR, "evidence"), filesDir: path.join(DIR, "files") });
  const scheduler = new Scheduler(app.db, app.read, cfg, app.org, app.cal, silentLogger, path.join(DIR, "files"), [circularJob]);
  let running = true;
  const t0 = performance.now();
  const job = scheduler.runDue(now).finally(() => (running = false));
  const lat: number[] = [];
  for (let i = 0; running; i++) {
    // a message arrives as an I/O event: the job's own I/O and timers get their turn between messages
    // (awaited back to back with nothing in between, the commands would starve the job forever)
    await new Promise((r) => setImmediate(r));
    const t = performance.now();
    await app.pipeline.handle({ id: `lat${i}`, chat: { kind: "private" }, senderId: "m1", senderName: "干部1", text: `/上报 基准测试问题${i}`, mentioned: [] });
    lat.push(performance.now() - t);
  }
  const jobMs = performance.now() - t0;
  const n = await job;
  await app.close();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  console.log(JSON.stringify({ job: "latency", jobMs: Math.round(jobMs), queued: n, commands: lat.length, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] }));
}

const mode = process.argv[2];
if (mode === "measure") {
  const what = process.argv[3] as Mode;
  const url = process.argv[4];
  if (what === "latency") await latency(url);
  else await measure(what, url);
} else {
  await ensureTownship(process.argv.includes("--rebuild"));
  type Figures = { ms: number; rssMb: number; messages: number; jobMs: number; commands: number; p50: number; p99: number; max: number };
  const run = (job: Mode, url?: string) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.resolve("bench/reminders.ts"), "measure", job, ...(url ? [url] : [])], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as Figures;
  };
  const all = (url?: string) => ({ base: run("baseline", url), rem: run("reminders", url), circ: run("circular", url), whole: run("circular-job", url), lat: run("latency", url) });
  const f = (x: number) => x.toFixed(1);
  type Spread = { rem: string; circ: string };
  const print = ({ base, rem, circ, whole, lat }: ReturnType<typeof all>, on = "", spread: Spread = { rem: "", circ: "" }) => {
    console.log(`baseline (open db, load roster):  peak RSS ${base.rssMb} MB${on}`);
    console.log(`one reminder run:  ${rem.ms} ms${spread.rem}, peak RSS ${rem.rssMb} MB (+${rem.rssMb - base.rssMb} MB over baseline), ${rem.messages} messages   targets ≤ 1500 ms, ≤ 300 MB${on}`);
    console.log(`one circular (figures, ranking, 亮相揭丑 as of the month's end; ${circ.messages} units ranked): ${circ.ms} ms${spread.circ}, peak RSS ${circ.rssMb} MB   target ≤ 1000 ms${on}`);
    console.log(`the circular job with its attachments (the text, then the chart PNG and the 100k-row ledger to the same groups): ${whole.ms} ms, peak RSS ${whole.rssMb} MB   (the ledger's own target: npm run bench:ledger)${on}`);
    console.log(`/上报 while the circular job runs (${lat.jobMs} ms): ${lat.commands} commands, p50 ${f(lat.p50)} ms, p99 ${f(lat.p99)} ms, max ${f(lat.max)} ms   target p99 ≤ 50 ms${on}`);
  };
  const server = benchPgServer();
  if (!server) print(all());
  else {
    try {
      const label = await pgServerLabel(server);
      const { db, ms } = await buildPgTownship(server);
      const n = await sameTownship(db.url);
      // each job on SQLite, then at once on PostgreSQL (the machine's load drifts: a pair sees the same);
      // the reminder run and the circular ROUNDS times (their median run is printed, with min–max);
      // the latency run last (on PostgreSQL it writes to the township, which is dropped afterwards)
      const ROUNDS = 3;
      const pairs = (job: Mode, k: number) => {
        const lite: Figures[] = [];
        const pg: Figures[] = [];
        for (let i = 0; i < k; i++) {
          lite.push(run(job));
          pg.push(run(job, db.url));
        }
        return { lite, pg };
      };
      const base = pairs("baseline", 1);
      const rem = pairs("reminders", ROUNDS);
      const circ = pairs("circular", ROUNDS);
      const whole = pairs("circular-job", 1);
      const lat = pairs("latency", 1);
      const median = (r: Figures[]) => [...r].sort((a, b) => a.ms - b.ms)[Math.floor(r.length / 2)];
      const spread = (r: Figures[]) => ` (median of ${r.length}, ${Math.min(...r.map((x) => x.ms))}–${Math.max(...r.map((x) => x.ms))})`;
      const pick = (side: "lite" | "pg") => ({ base: base[side][0], rem: median(rem[side]), circ: median(circ[side]), whole: whole[side][0], lat: lat[side][0] });
      const lite = pick("lite");
      const pg = pick("pg");
      print(lite, "", { rem: spread(rem.lite), circ: spread(circ.lite) });
      console.log(`${label}: the same township in a fresh database (built in ${(ms / 1000).toFixed(1)} s; row for row the same as the SQLite file: ${n.Item} items, ${n.Event} events, ${n.Room} rooms):`);
      print(pg, "   (PostgreSQL)", { rem: spread(rem.pg), circ: spread(circ.pg) });
      const x = (a: number, b: number) => (a / b).toFixed(2);
      console.log(`PostgreSQL/SQLite: reminder run ${x(pg.rem.ms, lite.rem.ms)}, circular ${x(pg.circ.ms, lite.circ.ms)} (medians), circular job ${x(pg.whole.ms, lite.whole.ms)} (time); /上报 during the circular job p50 ${x(pg.lat.p50, lite.lat.p50)}, p99 ${x(pg.lat.p99, lite.lat.p99)}`);
    } finally {
      await dropAll();
    }
  }
}
