// Where Duban's own files are (the migrations, the font, the web's static files), found from this module
// upwards: the same whether it runs from src/ under tsx or bundled into dist/ (scripts/build.mjs).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "duban") return dir;
    if (path.dirname(dir) === dir) throw new Error(`找不到督办的安装目录（从 ${from} 向上没有 package.json）`);
  }
}

export const ROOT = findRoot(import.meta.dirname);
export const ASSETS_DIR = path.join(ROOT, "assets");
export const PRISMA_DIR = path.join(ROOT, "prisma");
