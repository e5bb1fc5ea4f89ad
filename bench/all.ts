// `npm run bench`: every bench script, one after another, and one markdown page of their figures with
// the limit or baseline beside each (docs/performance.md), headed by the machine, the Node version and
// the date. Each script prints its own markdown table; this collects them.
//   npm run bench               (all, including two full installs: 15–20 minutes)
//   npm run bench -- --quick    (without the installs)
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const quick = process.argv.includes("--quick");
const scripts: [string, string][] = [
  ["bench/command-loop.ts", "命令通路 / command path"],
  ["bench/reads.ts", "县级规模的查询 / county-scale reads"],
  ["bench/web.ts", "看板页面 / dashboard pages"],
  ["bench/reminders.ts", "提醒、通报和通报期间的命令 / reminders, the circular, commands meanwhile"],
  ["bench/ledger.ts", "台账导出 / the ledger"],
  ["bench/start.ts", "启动和空闲内存 / start-up and idle memory"],
  ...(quick ? [] : ([["bench/install.ts", "安装 / the install"]] as [string, string][])),
];

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const head = [
  "# Performance",
  "",
  `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.`,
  "Each script measures its baseline or limit in the same run (these machines are shared and noisy: compare ratios and medians, not single figures).",
  "Re-run one part with its own script, e.g. `npm run bench:reads`.",
  "",
];
const parts: string[] = [];
for (const [script, title] of scripts) {
  process.stderr.write(`running ${script} …\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 2 ** 20, timeout: 40 * 60_000 });
  const lines = (r.stdout ?? "").split("\n");
  const table = lines.filter((l) => l.startsWith("|"));
  const notes = lines.filter((l) => l.trim() && !l.startsWith("|") && !l.startsWith("{"));
  parts.push(`## ${title}`, "", `\`${script}\`${r.status === 0 ? "" : ` — exited with ${r.status}: ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" ")}`}`, "");
  if (table.length) parts.push(...notes.slice(0, 2).map((n) => `${n}`), "", ...table, "");
  else parts.push("```", ...lines.filter((l) => l.trim()), "```", "");
}
mkdirSync(path.join(ROOT, "docs"), { recursive: true });
const file = path.join(ROOT, "docs/performance.md");
writeFileSync(file, [...head, ...parts].join("\n"));
process.stderr.write(`written ${file}\n`);
