// `npm run bench`: every bench script, one after another, and one markdown page of their figures with
// the limit or baseline beside each (docs/performance.md), headed by the machine, the Node version and
// the date. Each script prints its own markdown table; this collects them.
// PostgreSQL: when a server answers (DATABASE_URL=postgresql://…, else postgresql://postgres@127.0.0.1:5432),
// the scripts that know it (command-loop, reminders) also measure on it, beside SQLite; otherwise their
// PostgreSQL rows are skipped, with a note saying so.
//   npm run bench               (all, including two full installs: 15–20 minutes)
//   npm run bench -- --quick    (without the installs)
//   npm run bench -- --only command-loop,reminders
//                               (just those scripts: their sections of docs/performance.md are replaced,
//                                the rest of the page is kept as it was)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { maskUrl } from "../src/db/pg-url.ts";
import { benchPgServer, LOCAL_PG_URL, pgAnswers, pgServerLabel } from "./pg.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const quick = process.argv.includes("--quick");
const onlyArg = process.argv.find((a, i) => process.argv[i - 1] === "--only" || a.startsWith("--only="));
const only = onlyArg ? onlyArg.replace(/^--only=/, "").split(",").map((s) => s.trim().replace(/^bench\//, "").replace(/\.ts$/, "")) : null;
// [script, title, also on PostgreSQL]
const scripts: [string, string, boolean][] = [
  ["bench/command-loop.ts", "命令通路 / command path", true],
  ["bench/reads.ts", "县级规模的查询 / county-scale reads", false],
  ["bench/web.ts", "看板页面 / dashboard pages", false],
  ["bench/reminders.ts", "提醒、通报和通报期间的命令 / reminders, the circular, commands meanwhile", true],
  ["bench/ledger.ts", "台账导出 / the ledger", false],
  ["bench/start.ts", "启动和空闲内存 / start-up and idle memory", false],
  ...(quick ? [] : ([["bench/install.ts", "安装 / the install", false]] as [string, string, boolean][])),
];
const chosen = only ? scripts.filter(([s]) => only.includes(path.basename(s, ".ts"))) : scripts;
if (only && chosen.length !== only.length) {
  process.stderr.write(`--only: unknown script among ${only.join(", ")} (known: ${scripts.map(([s]) => path.basename(s, ".ts")).join(", ")})\n`);
  process.exit(2);
}

// PostgreSQL for the scripts that measure it too: asked once, here
const server = benchPgServer() ?? LOCAL_PG_URL;
const pgUp = chosen.some(([, , pg]) => pg) && (await pgAnswers(server));
const pgLabel = pgUp ? await pgServerLabel(server) : "";
const pgEnv: NodeJS.ProcessEnv = { ...process.env };
delete pgEnv.BENCH_PG;
if (benchPgServer(pgEnv)) delete pgEnv.DATABASE_URL; // (skipped: the scripts must not try it either)
if (pgUp) {
  if (server === LOCAL_PG_URL && !benchPgServer()) pgEnv.BENCH_PG = "1";
  else pgEnv.DATABASE_URL = server;
}
const pgNote = pgUp
  ? `PostgreSQL: ${pgLabel}, fresh \`duban_bench_*\` databases (dropped afterwards); its figures are marked (PostgreSQL), each beside SQLite's and against its own limit or baseline.`
  : `PostgreSQL rows skipped: nothing answers on ${maskUrl(server)} (start a server there, or set DATABASE_URL=postgresql://… to one).`;

const today = new Date().toISOString().slice(0, 10);
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const head = [
  "# Performance",
  "",
  `Measured by \`npm run bench\` on ${today}: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.`,
  "Each script measures its baseline or limit in the same run (these machines are shared and noisy: compare ratios and medians, not single figures).",
  "Re-run one part with its own script, e.g. `npm run bench:reads` (`BENCH_PG=1 npm run bench:command-loop` for PostgreSQL beside SQLite).",
  "",
];
const sections = new Map<string, string[]>();
for (const [script, title, pg] of chosen) {
  process.stderr.write(`running ${script} …\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 2 ** 20, timeout: 40 * 60_000, env: pg ? pgEnv : process.env });
  const lines = (r.stdout ?? "").split("\n");
  const table = lines.filter((l) => l.startsWith("|"));
  const notes = lines.filter((l) => l.trim() && !l.startsWith("|") && !l.startsWith("{"));
  const part = [`## ${title}`, "", `\`${script}\`${r.status === 0 ? "" : ` — exited with ${r.status}: ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" ")}`}${only ? ` — re-measured alone on ${today} (\`npm run bench -- --only ${only.join(",")}\`)` : ""}`, ""];
  if (pg) part.push(pgNote, "");
  if (table.length) part.push(...notes.slice(0, 2).map((n) => `${n}`), "", ...table, "");
  else part.push("```", ...lines.filter((l) => l.trim()), "```", "");
  sections.set(title, part);
}
mkdirSync(path.join(ROOT, "docs"), { recursive: true });
const file = path.join(ROOT, "docs/performance.md");
let page: string[];
if (only && existsSync(file)) {
  // the page as it was, with the chosen scripts' sections replaced (or added at the end)
  const old = readFileSync(file, "utf8").split("\n");
  page = [];
  let skipping = false;
  for (const l of old) {
    if (l.startsWith("## ")) {
      const part = sections.get(l.slice(3));
      skipping = !!part;
      if (part) {
        page.push(...part);
        sections.delete(l.slice(3));
      }
    }
    if (!skipping) page.push(l);
  }
  for (const part of sections.values()) page.push(...part);
} else page = [...head, ...[...sections.values()].flat()];
writeFileSync(file, page.join("\n"));
process.stderr.write(`written ${file}\n`);
