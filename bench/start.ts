// Start to ready and idle memory (issue "Lean"): `npm start` on the sample township with an up-to-date
// database — the browser playground (no channel configured) — from spawn to the line that prints its
// address, then its resident memory after 3 s of idling. Beside it in the same run, a bare `node -e ''`
// (the floor of any Node process on this machine). 5 runs each; medians.
// Targets: ready ≤ 1 s, idle RSS ≤ 120 MB.
//   npm run bench:start
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(import.meta.dirname, "..");
const RUNS = 5;
const dir = mkdtempSync(path.join(os.tmpdir(), "duban-start-"));
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHATY_|WECOM_|DUBAN_|DATABASE_URL$)/.test(k))),
  DATABASE_URL: "file:" + path.join(dir, "d.db"),
  DUBAN_EVIDENCE_DIR: path.join(dir, "evidence"),
  DUBAN_WEB_PORT: "0",
};

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function once(): Promise<{ readyMs: number; idleMb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (!/http:\/\/127\.0\.0\.1:\d+\//.test(out)) return;
      const readyMs = performance.now() - t0;
      out = "\0"; // only once
      setTimeout(() => {
        const idleMb = rssMb(child.pid!);
        child.kill("SIGKILL");
        resolve({ readyMs, idleMb });
      }, 3000);
    });
    child.on("error", reject);
  });
}

// the first start creates and migrates the database: not counted
await once();
const ready: number[] = [];
const idle: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await once();
  ready.push(r.readyMs);
  idle.push(r.idleMb);
}
const bare: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  spawnSync(process.execPath, ["-e", ""]);
  bare.push(performance.now() - t);
}
console.log(`npm start (playground, sample township, up-to-date database), ${RUNS} runs, medians`);
console.log("| measured | Duban | bare node | target |");
console.log("|---|---|---|---|");
console.log(`| start to ready | ${(median(ready) / 1000).toFixed(2)} s | ${(median(bare) / 1000).toFixed(2)} s | ≤ 1 s |`);
console.log(`| idle RSS after 3 s | ${median(idle).toFixed(0)} MB | — | ≤ 120 MB |`);
console.log(JSON.stringify({ bench: "start", readyMs: Math.round(median(ready)), idleRssMb: Math.round(median(idle)), bareNodeMs: Math.round(median(bare)) }));
