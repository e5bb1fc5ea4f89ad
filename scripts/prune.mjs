// A production install's one build step (README "部署"): `npm ci --omit=dev && npm run prune`.
// Removes from node_modules what Duban never loads at run time:
// - Prisma's query compilers for databases and builds it does not use (it loads the small build for
//   SQLite, and for PostgreSQL once that is configured); 63 of @prisma/client's 72 MB;
// - echarts' ES-module tree, types and themes: Duban requires its one-file CommonJS build (dist/echarts.js);
// - better-sqlite3's SQLite sources and the compiler's intermediate files (the compiled addon stays);
// - exceljs' browser bundles (Node loads lib/);
// - in every package: source maps, TypeScript declarations, Markdown documents.
// Safe to run twice; prints what it freed. `node scripts/prune.mjs [node_modules]`.
import { existsSync, lstatSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, "..", "node_modules"));
if (!existsSync(path.join(root, "@prisma/client"))) {
  console.error(`${root} 不是督办的 node_modules（没有 @prisma/client）`);
  process.exit(2);
}
let freed = 0;
let files = 0;

function size(p) {
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of readdirSync(p)) n += size(path.join(p, e));
  return n;
}
function remove(p) {
  if (!existsSync(p)) return;
  freed += size(p);
  files++;
  rmSync(p, { recursive: true, force: true });
}
/** Remove every entry of `dir` but those named in `keep`. */
function keepOnly(dir, keep) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir)) if (!keep.some((k) => (k instanceof RegExp ? k.test(e) : k === e))) remove(path.join(dir, e));
}

// Prisma: keep the small query compiler of SQLite and PostgreSQL
const runtime = path.join(root, "@prisma/client/runtime");
for (const f of readdirSync(runtime)) if (/^query_compiler_/.test(f) && !/^query_compiler_small_bg\.(sqlite|postgresql)\./.test(f)) remove(path.join(runtime, f));

// echarts: the CommonJS build the chart requires
keepOnly(path.join(root, "echarts"), ["package.json", "LICENSE", "NOTICE", "dist", "index.js"]);
keepOnly(path.join(root, "echarts/dist"), ["echarts.js", "package.json"]); // package.json: "type": "commonjs" for that folder

// better-sqlite3: its compiled addon and its JavaScript
keepOnly(path.join(root, "better-sqlite3"), ["package.json", "LICENSE", "lib", "build"]);
keepOnly(path.join(root, "better-sqlite3/build"), ["Release"]);
keepOnly(path.join(root, "better-sqlite3/build/Release"), ["better_sqlite3.node"]);

// exceljs: Node loads excel.js → lib/; dist/ holds browser bundles
remove(path.join(root, "exceljs/dist"));

// every package: maps, declarations, documents
function sweep(dir) {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) sweep(p);
    else if (/\.(map|d\.ts|d\.mts|d\.cts|md|markdown)$/i.test(e) && !/^licen[cs]e/i.test(e)) remove(p);
  }
}
sweep(root);

console.log(`已清理 ${files} 个文件/目录，释放 ${(freed / 1048576).toFixed(0)} MB（${root}）`);
