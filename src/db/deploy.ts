// `npm run db:deploy`: apply the pending migrations to DATABASE_URL (default file:./data/duban.db; a
// postgresql:// URL applies prisma/postgresql/migrations) and say what was applied. Start-up does the same;
// this is for deploying a release before starting it. Exit 1 when the database cannot be reached or a
// migration fails.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DEFAULT_DATABASE_URL, sqlitePath } from "./client.ts";
import { applyMigrations } from "./engine.ts";
import { PgUnreachableError, applyMigrationsPg, pgConnect } from "./postgres-engine.ts";
import { isPostgresUrl, maskUrl } from "./pg-url.ts";

const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const started = performance.now();
let applied: string[];
try {
  if (isPostgresUrl(url)) {
    applied = await applyMigrationsPg(url);
  } else {
    let file: string;
    try {
      file = sqlitePath(url);
    } catch (e) {
      console.error(`DATABASE_URL 无法识别：${maskUrl(url)}（应为 file:路径 或 postgresql://…）`);
      process.exit(2);
    }
    try {
      mkdirSync(path.dirname(file), { recursive: true });
    } catch (e) {
      console.error(`无法打开数据库文件 ${file}：${(e as Error).message}`);
      process.exit(1);
    }
    applied = await applyMigrations(file);
  }
} catch (e) {
  if (e instanceof PgUnreachableError) console.error(`无法连接数据库 ${maskUrl(url)}：${(e.cause as Error)?.message ?? String(e.cause)}`);
  else if (/unable to open database file|SQLITE_CANTOPEN|EACCES|ENOENT/i.test(String((e as Error)?.message ?? e))) console.error(`无法打开数据库 ${maskUrl(url)}：${(e as Error).message}`);
  else console.error(`迁移失败（${maskUrl(url)}）：${(e as Error)?.message ?? String(e)}`);
  process.exit(1);
}
const ms = Math.round(performance.now() - started);
if (applied.length) console.log(`已应用迁移：${applied.join("、")}（${maskUrl(url)}，${ms} ms）`);
else console.log(`数据库已是最新，无待应用的迁移。（${maskUrl(url)}）`);

if (isPostgresUrl(url)) {
  // ORDER BY on text follows the database's collation: only C (as SQLite compares) keeps lists and reports
  // in the same order as on SQLite
  const c = await pgConnect(url);
  try {
    const { rows } = await c.query<{ collate: string }>("SELECT datcollate AS collate FROM pg_database WHERE datname = current_database()");
    const collate = rows[0]?.collate ?? "";
    if (!/^(C|POSIX)(\.|$)/i.test(collate)) {
      console.log(`注意：该数据库的排序规则为 ${collate}，文字排序可能与 SQLite 不同。建议建库时使用 TEMPLATE template0 LOCALE 'C' ENCODING 'UTF8'。`);
    }
  } finally {
    await c.end().catch(() => {});
  }
}
