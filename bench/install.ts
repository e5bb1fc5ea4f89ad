// The install's size and time (issue "Lean", goal 1), from scratch in temp folders with this checkout's
// package.json, lock file and .npmrc: the production install (`npm ci --omit=dev && npm run prune`) and
// the developer install (`npm ci`), and the release archive (`npm run release`) a server without a
// compiler unpacks. Targets: production ≤ 200 MB and no compiler, developer ≤ 450 MB.
//   npm run bench:install            (two full installs: several minutes, needs the npm registry)
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(import.meta.dirname, "..");

function du(dir: string): number {
  const r = spawnSync("du", ["-sm", dir], { encoding: "utf8" });
  return Number(r.stdout.split(/\s/)[0]);
}

function install(prod: boolean): { mb: number; s: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prod ? "duban-prod-" : "duban-dev-"));
  for (const f of ["package.json", "package-lock.json", ".npmrc"]) copyFileSync(path.join(ROOT, f), path.join(dir, f));
  cpSync(path.join(ROOT, "scripts"), path.join(dir, "scripts"), { recursive: true });
  const t = performance.now();
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund", ...(prod ? ["--omit=dev"] : [])], { cwd: dir, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`npm ci failed in ${dir}:\n${r.stderr}`);
  if (prod) spawnSync(process.execPath, ["scripts/prune.mjs"], { cwd: dir, stdio: "ignore" });
  const s = (performance.now() - t) / 1000;
  const mb = du(path.join(dir, "node_modules"));
  rmSync(dir, { recursive: true, force: true });
  return { mb, s };
}

/** npm run release: the archive a server unpacks (no registry, no compiler there) */
function release(): { mb: number; unpackedMb: number; s: number } {
  const t = performance.now();
  const r = spawnSync(process.execPath, ["scripts/release.mjs"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`npm run release failed:\n${r.stderr}`);
  const m = /（(\d+) MB，解开后 (\d+) MB）/.exec(r.stdout);
  return { mb: Number(m?.[1]), unpackedMb: Number(m?.[2]), s: (performance.now() - t) / 1000 };
}

const prod = install(true);
const dev = install(false);
const rel = release();
console.log("install from scratch (this machine, its npm registry)");
console.log("| install | node_modules | time | target |");
console.log("|---|---|---|---|");
console.log(`| production: npm ci --omit=dev && npm run prune | ${prod.mb} MB | ${prod.s.toFixed(0)} s | ≤ 200 MB |`);
console.log(`| developer: npm ci | ${dev.mb} MB | ${dev.s.toFixed(0)} s | ≤ 450 MB |`);
console.log(`| release archive (npm run release; unpacked on the server, no compiler there) | ${rel.mb} MB (${rel.unpackedMb} MB unpacked) | ${rel.s.toFixed(0)} s to build | ≤ 200 MB |`);
console.log(JSON.stringify({ bench: "install", productionMb: prod.mb, productionS: Math.round(prod.s), developerMb: dev.mb, developerS: Math.round(dev.s), releaseMb: rel.mb, releaseUnpackedMb: rel.unpackedMb }));
