// A township far larger than any real one: 600 units, 20,000 members, 100,000 open items. Prints the
// wall time and peak RSS of one reminder run and of one monthly circular, each in its own process, beside
// a baseline process that only opens the same database (so the job's own cost is visible); and the
// latency of /上报 commands sent one after another while the circular job runs (reports read a snapshot
// on the read-only connection and never hold the write lock).
// Targets: reminder run ≤ 1.5 s and ≤ 300 MB; circular ≤ 1 s; /上报 p99 during the circular job ≤ 50 ms.
//   npm run bench:reminders            (builds the database once under .tmp/bench, then measures)
import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { App } from "../src/app.ts";
import { snapshot, openDatabase } from "../src/db/client.ts";
import { silentLogger } from "../src/core/log.ts";
import { config, DAY, DB, DIR, ensureTownship, NOW, nullChannel } from "./township.ts";
import { Calendar } from "../src/domain/calendar.ts";
import { Org } from "../src/domain/org.ts";
import { buildCircular, circularJob } from "../src/jobs/circular.ts";
import { remindersJob } from "../src/jobs/reminders.ts";
import { Scheduler } from "../src/jobs/scheduler.ts";

type Mode = "reminders" | "circular" | "circular-job" | "baseline" | "latency";

async function measure(job: Exclude<Mode, "latency">) {
  const cfg = config();
  const { db, read } = await openDatabase("file:" + DB);
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

/** /上报 sent one after another, each as soon as the previous is answered, while the circular job runs. */
async function latency() {
  const cfg = config();
  const file = path.join(DIR, "latency.db");
  for (const f of [file, file + "-wal", file + "-shm"]) rmSync(f, { force: true });
  copyFileSync(DB, file);
  const now = new Date("2026-06-03T10:00:00+08:00"); // June's 3rd workday: the circular for May is due
  const app = await App.open({ cfg, databaseUrl: "file:" + file, clock: { now: () => now }, channels: [nullChannel], log: silentLogger, evidenceDir: path.join(DIR, "evidence"), filesDir: path.join(DIR, "files") });
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
  if (what === "latency") await latency();
  else await measure(what);
} else {
  await ensureTownship(process.argv.includes("--rebuild"));
  const run = (job: Mode) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.resolve("bench/reminders.ts"), "measure", job], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as { ms: number; rssMb: number; messages: number; jobMs: number; commands: number; p50: number; p99: number; max: number };
  };
  const base = run("baseline");
  const rem = run("reminders");
  const circ = run("circular");
  const whole = run("circular-job");
  const lat = run("latency");
  const f = (x: number) => x.toFixed(1);
  console.log(`baseline (open db, load roster):  peak RSS ${base.rssMb} MB`);
  console.log(`one reminder run:  ${rem.ms} ms, peak RSS ${rem.rssMb} MB (+${rem.rssMb - base.rssMb} MB over baseline), ${rem.messages} messages   targets ≤ 1500 ms, ≤ 300 MB`);
  console.log(`one circular (figures, ranking, 亮相揭丑 as of the month's end; ${circ.messages} units ranked): ${circ.ms} ms, peak RSS ${circ.rssMb} MB   target ≤ 1000 ms`);
  console.log(`the circular job with its attachments (the text, then the chart PNG and the 100k-row ledger to the same groups): ${whole.ms} ms, peak RSS ${whole.rssMb} MB   (the ledger's own target: npm run bench:ledger)`);
  console.log(`/上报 while the circular job runs (${lat.jobMs} ms): ${lat.commands} commands, p50 ${f(lat.p50)} ms, p99 ${f(lat.p99)} ms, max ${f(lat.max)} ms   target p99 ≤ 50 ms`);
}
