// A township far larger than any real one: 600 units, 20,000 members, 100,000 open items. Prints the
// wall time and peak RSS of one reminder run and of one monthly circular, each in its own process, beside
// a baseline process that only opens the same database (so the job's own cost is visible).
// Targets: reminder run ≤ 1.5 s and ≤ 300 MB; circular ≤ 1 s.
//   npm run bench:reminders            (builds the database once under .tmp/bench, then measures)
import { spawnSync } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { openDatabase } from "../src/db/client.ts";
import { config, DAY, DB, DIR, ensureTownship, NOW } from "./township.ts";
import { Calendar } from "../src/domain/calendar.ts";
import { Org } from "../src/domain/org.ts";
import { circularJob, queueCircular } from "../src/jobs/circular.ts";
import { remindersJob } from "../src/jobs/reminders.ts";

async function measure(job: "reminders" | "circular" | "circular-job" | "baseline") {
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
        if (job === "reminders") messages = await remindersJob.run(j, DAY);
        else if (job === "circular") messages = (await queueCircular(tx, cfg, cal, "2026-05", NOW)).rooms.length;
        else messages = await circularJob.run(j, "2026-05");
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
  await measure(process.argv[3] as "reminders" | "circular" | "circular-job" | "baseline");
} else {
  await ensureTownship(process.argv.includes("--rebuild"));
  const run = (job: string) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.resolve("bench/reminders.ts"), "measure", job], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as { ms: number; rssMb: number; messages: number };
  };
  const base = run("baseline");
  const rem = run("reminders");
  const circ = run("circular");
  const whole = run("circular-job");
  console.log(`baseline (open db, load roster):  peak RSS ${base.rssMb} MB`);
  console.log(`one reminder run:  ${rem.ms} ms, peak RSS ${rem.rssMb} MB (+${rem.rssMb - base.rssMb} MB over baseline), ${rem.messages} messages   targets ≤ 1500 ms, ≤ 300 MB`);
  console.log(`one circular (figures, ranking, 亮相揭丑; queued to ${circ.messages} groups): ${circ.ms} ms, peak RSS ${circ.rssMb} MB   target ≤ 1000 ms`);
  console.log(`the circular job with its attachments (the text, then the chart PNG and the 100k-row ledger to the same groups): ${whole.ms} ms, peak RSS ${whole.rssMb} MB   (the ledger's own target: npm run bench:ledger)`);
}
