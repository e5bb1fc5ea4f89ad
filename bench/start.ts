// Start to ready and idle memory (issue "Lean"): `npm start` (node dist/main.js, built by
// scripts/build.mjs) on the sample township with an up-to-date database, from spawn to ready — the
// browser playground printing its address; production on the 智能机器人 logging duban.start — then its
// resident memory after 3 s of idling. Beside it in the same run, a bare `node -e ''` (the floor of any
// Node process on this machine). 5 runs each; medians.
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

// the node flags npm start uses (package.json "start": "… node <flags> dist/main.js")
const START_FLAGS = (/node ((?:--\S+ )*)dist\/main\.js/.exec(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.start)?.[1] ?? "").trim().split(" ").filter(Boolean);

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Ready: the playground prints its address (stdout); production logs duban.start (stderr). */
function once(extra: NodeJS.ProcessEnv = {}): Promise<{ readyMs: number; idleMb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...START_FLAGS, "dist/main.js"], { cwd: ROOT, env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const seen = (d: Buffer) => {
      out += d;
      if (!/http:\/\/127\.0\.0\.1:\d+\/|"event":"duban.start"/.test(out)) return;
      const readyMs = performance.now() - t0;
      out = "\0"; // only once
      setTimeout(() => {
        const idleMb = rssMb(child.pid!);
        child.kill("SIGKILL");
        resolve({ readyMs, idleMb });
      }, 3000);
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("error", reject);
  });
}

async function series(extra: NodeJS.ProcessEnv = {}) {
  await once(extra); // the first start creates and migrates the database: not counted
  const ready: number[] = [];
  const idle: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once(extra);
    ready.push(r.readyMs);
    idle.push(r.idleMb);
  }
  return { ready: median(ready), idle: median(idle) };
}

const playground = await series();
// production on the 智能机器人 (a local stand-in of its server: the connection is part of start-up)
const { FakeAibotServer } = await import("../test/fakes/wecom-aibot-server.ts");
const aibot = await new FakeAibotServer({ botId: "bench-bot", secret: "bench-secret" }).listen();
const production = await series({ WECOM_AIBOT_ID: "bench-bot", WECOM_AIBOT_SECRET: "bench-secret", WECOM_AIBOT_WS_URL: aibot.wsUrl, LOG_LEVEL: "info" });
await aibot.close();
const bare: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  spawnSync(process.execPath, ["-e", ""]);
  bare.push(performance.now() - t);
}
console.log(`npm start on the sample township with an up-to-date database, ${RUNS} runs, medians (bare \`node -e ''\`: ${(median(bare) / 1000).toFixed(2)} s)`);
console.log("| measured | playground (mock chat + web) | production (智能机器人) | target |");
console.log("|---|---|---|---|");
console.log(`| start to ready | ${(playground.ready / 1000).toFixed(2)} s | ${(production.ready / 1000).toFixed(2)} s | ≤ 1 s |`);
console.log(`| idle RSS after 3 s | ${playground.idle.toFixed(0)} MB | ${production.idle.toFixed(0)} MB | ≤ 120 MB |`);
console.log(JSON.stringify({ bench: "start", playgroundReadyMs: Math.round(playground.ready), playgroundIdleMb: Math.round(playground.idle), productionReadyMs: Math.round(production.ready), productionIdleMb: Math.round(production.idle), bareNodeMs: Math.round(median(bare)) }));
