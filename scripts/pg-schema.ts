// prisma/postgresql/schema.prisma is generated from prisma/schema.prisma, the one source of truth: Prisma
// wants one provider per schema, so the PostgreSQL copy differs only in the datasource's provider and the
// generator's output (src/generated/prisma-pg). `tsx scripts/pg-schema.ts` (run by `npm run db:generate`
// and `npm run db:migrate`) rewrites it; test/migrations-pg.test.ts checks that it is up to date.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "..");
export const SQLITE_SCHEMA = path.join(ROOT, "prisma/schema.prisma");
export const PG_SCHEMA = path.join(ROOT, "prisma/postgresql/schema.prisma");

export const HEADER =
  "// GENERATED from prisma/schema.prisma by scripts/pg-schema.ts (npm run db:generate): do not edit.\n" +
  "// Change prisma/schema.prisma, then run `npm run db:generate` and `npm run db:migrate -- <name>`.\n\n";

/** Replace `key = "…"` inside the one `<kind> <name> { … }` block of a schema; throws unless found exactly once. */
function setInBlock(schema: string, block: RegExp, key: string, value: (old: string) => string): string {
  const blocks = [...schema.matchAll(new RegExp(block.source + String.raw`\s*\{[^}]*\}`, "g"))];
  if (blocks.length !== 1) throw new Error(`schema.prisma: expected one ${block.source} block, found ${blocks.length}`);
  const [text] = blocks[0];
  const re = new RegExp(String.raw`^(\s*${key}\s*=\s*)"([^"]*)"`, "m");
  const m = re.exec(text);
  if (!m) throw new Error(`schema.prisma: no ${key} in the ${block.source} block`);
  const replaced = text.replace(re, (_all, lead: string, old: string) => `${lead}"${value(old)}"`);
  return schema.slice(0, blocks[0].index) + replaced + schema.slice(blocks[0].index + text.length);
}

/** The PostgreSQL schema made of the text of prisma/schema.prisma. */
export function pgSchemaFrom(sqliteSchema: string): string {
  let s = setInBlock(sqliteSchema, /datasource\s+db/, "provider", (old) => {
    if (old !== "sqlite") throw new Error(`schema.prisma: datasource provider is "${old}", expected "sqlite"`);
    return "postgresql";
  });
  // the output is relative to the schema's folder: prisma/ → prisma/postgresql/, and "-pg" appended
  s = setInBlock(s, /generator\s+client/, "output", (old) => path.posix.relative("prisma/postgresql", path.posix.join("prisma", old) + "-pg"));
  return HEADER + s;
}

/** Rewrite prisma/postgresql/schema.prisma from prisma/schema.prisma; true when its content changed. */
export function writePgSchema(from = SQLITE_SCHEMA, to = PG_SCHEMA): boolean {
  const next = pgSchemaFrom(readFileSync(from, "utf8"));
  if (existsSync(to) && readFileSync(to, "utf8") === next) return false;
  mkdirSync(path.dirname(to), { recursive: true });
  writeFileSync(to, next);
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const changed = writePgSchema();
  console.log(changed ? `已更新 ${path.relative(process.cwd(), PG_SCHEMA)}（由 prisma/schema.prisma 生成）` : `${path.relative(process.cwd(), PG_SCHEMA)} 已是最新`);
}
