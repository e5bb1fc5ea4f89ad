// Export the ledger of the benchmark township (100,000 items: the 问题清单 plus a sheet per unit, so
// 200,000 rows) as .xlsx with the streaming writer, beside writing the same rows as CSV in the same run.
// Each export runs in its own process (A B A B …); prints the medians, peak RSS, and the ratio.
// Targets: xlsx ≤ 2× the CSV time, ≤ 400 MB.
//   npm run bench:ledger [-- runs]
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { openDatabase } from "../src/db/client.ts";
import { Calendar } from "../src/domain/calendar.ts";
import { Org } from "../src/domain/org.ts";
import { writeLedger } from "../src/reports/ledger.ts";
import { config, DB, DIR, ensureTownship, NOW } from "./township.ts";

async function measure(format: "xlsx" | "csv" | "baseline") {
  const cfg = config();
  const { db } = await openDatabase("file:" + DB);
  const cal = new Calendar(cfg.timezone);
  const org = new Org(cfg);
  const file = path.join(DIR, `ledger.${format}`);
  const t0 = performance.now();
  if (format === "baseline") {
    console.log(JSON.stringify({ format, ms: 0, rssMb: Math.round(process.resourceUsage().maxRSS / 1024), rows: 0, bytes: 0 }));
    return;
  }
  const r = await db.$transaction((tx) => writeLedger(tx, cfg, org, cal, { file, now: NOW, audience: "office", format }), { timeout: 600_000 });
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ format, ms: Math.round(ms), rssMb: Math.round(process.resourceUsage().maxRSS / 1024), rows: r.rows, bytes: statSync(file).size }));
  await db.$disconnect();
}

if (process.argv[2] === "measure") {
  await measure(process.argv[3] as "xlsx" | "csv");
} else {
  await ensureTownship(process.argv.includes("--rebuild"));
  const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 3);
  const run = (format: string) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.resolve("bench/ledger.ts"), "measure", format], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as { ms: number; rssMb: number; rows: number; bytes: number };
  };
  const base = run("baseline");
  const xs: ReturnType<typeof run>[] = [];
  const cs: ReturnType<typeof run>[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    const x = run("xlsx");
    const c = run("csv");
    xs.push(x);
    cs.push(c);
    ratios.push(x.ms / c.ms);
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const x = med(xs.map((r) => r.ms));
  const c = med(cs.map((r) => r.ms));
  console.log(`rows in the 问题清单: ${xs[0].rows} (plus the same rows again in the per-unit sheets)   runs: ${runs}, xlsx and csv alternating`);
  console.log(`baseline process (open the database, load the 20,000-member roster): peak RSS ${base.rssMb} MB`);
  console.log(`xlsx (streaming): median ${x} ms, peak RSS ${Math.max(...xs.map((r) => r.rssMb))} MB, ${(xs[0].bytes / 1e6).toFixed(1)} MB file   target ≤ 400 MB`);
  console.log(`csv  (same rows): median ${c} ms, peak RSS ${Math.max(...cs.map((r) => r.rssMb))} MB, ${(cs[0].bytes / 1e6).toFixed(1)} MB file`);
  console.log(`ratio xlsx/csv: median ${med(ratios).toFixed(2)} (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})   target ≤ 2.00`);
}
