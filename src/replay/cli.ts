// npm run replay -- <config.yaml> <script.jsonl> [--out <dir>]
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig } from "../config/load.ts";
import { isPostgresUrl, maskUrl } from "../db/pg-url.ts";
import { parseScript, replay, ScriptError } from "./harness.ts";

/** A replay starts from nothing: on a PostgreSQL database that holds a campaign's data, it does not run. */
async function assertEmptyPostgres(url: string): Promise<void> {
  const { pgConnect } = await import("../db/postgres-engine.ts");
  const client = await pgConnect(url);
  try {
    const tables = await client.query(`SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_prisma_migrations'`);
    for (const { t } of tables.rows as { t: string }[]) {
      const r = await client.query(`SELECT EXISTS (SELECT 1 FROM "${t.replace(/"/g, '""')}") AS x`);
      if (r.rows[0].x) throw new ScriptError(`DATABASE_URL 指向的数据库 ${maskUrl(url)} 已有数据（表 ${t}）：回放只在空数据库上运行，请新建一个空库，或不设 DATABASE_URL（用临时 SQLite 文件）`);
    }
  } finally {
    await client.end();
  }
}

const args = process.argv.slice(2);
const outAt = args.indexOf("--out");
const outDir = outAt >= 0 ? args[outAt + 1] : undefined;
const [configPath, scriptPath] = args.filter((_, i) => outAt < 0 || (i !== outAt && i !== outAt + 1));
if (!configPath || !scriptPath || (outAt >= 0 && !outDir)) {
  console.error("用法：npm run replay -- <配置.yaml> <脚本.jsonl> [--out <目录>]");
  process.exit(2);
}
try {
  const cfg = loadConfig(configPath);
  const script = parseScript(readFileSync(scriptPath, "utf8"));
  // DATABASE_URL naming a PostgreSQL database: the replay runs there (an empty one: it refuses otherwise)
  const url = process.env.DATABASE_URL?.trim();
  const databaseUrl = url && isPostgresUrl(url) ? url : undefined;
  if (databaseUrl) await assertEmptyPostgres(databaseUrl);
  await replay({ cfg, script, scriptDir: path.dirname(path.resolve(scriptPath)), outDir: outDir && path.resolve(outDir), write: (l) => process.stdout.write(l + "\n"), databaseUrl });
  process.exit(0);
} catch (e) {
  if (e instanceof ConfigError || e instanceof ScriptError) {
    console.error(e.message);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
}
