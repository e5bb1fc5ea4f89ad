// npm run release: one archive a township server unpacks and starts — no npm registry, no compiler there.
// Made on a build machine of the same kind as the server (Linux x64, the same Node major version: the
// SQLite addon is compiled here for it), from what git has committed:
//   the committed files (less tests and benchmarks) + `npm ci --omit=dev` + `npm run prune` + dist/
// → .tmp/release/duban-<version>-<platform>-<arch>-node<major>.tar.gz
// On the server: tar xzf duban-….tar.gz && cd duban-… && npm start (or node dist/main.js).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const name = `duban-${version}-${process.platform}-${process.arch}-node${process.versions.node.split(".")[0]}`;
const out = path.join(root, ".tmp/release");
const dir = path.join(out, name);
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
// what git has committed: the archive is what the repository says, not whatever lies in the work tree
execFileSync("sh", ["-c", `git archive --format=tar HEAD | tar -x -C "${dir}"`], { cwd: root, stdio: "inherit" });
for (const d of ["test", "bench", ".ci"]) rmSync(path.join(dir, d), { recursive: true, force: true });
run("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund"], dir);
run(process.execPath, ["scripts/prune.mjs"], dir);
run(process.execPath, ["scripts/build.mjs"], dir);
const tgz = path.join(out, `${name}.tar.gz`);
rmSync(tgz, { force: true });
run("tar", ["-czf", tgz, "-C", out, name], root);
const unpacked = Number(execFileSync("du", ["-sm", dir], { encoding: "utf8" }).split(/\s/)[0]);
console.log(`已生成 ${path.relative(root, tgz)}（${(statSync(tgz).size / 2 ** 20).toFixed(0)} MB，解开后 ${unpacked} MB）`);
console.log(`在同样系统（${process.platform} ${process.arch}、Node ${process.versions.node.split(".")[0]}）的服务器上：tar xzf ${name}.tar.gz && cd ${name} && npm start`);
