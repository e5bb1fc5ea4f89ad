// The playgrounds run a mock chat that reaches everyone. On a database a production channel has used
// (a lost environment variable on a production host), they would take the real outbox's waiting rows
// and "send" them into the mock. Rows of a production channel are how such a database is recognised.
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { sqlitePath } from "../db/client.ts";
import { isPostgresUrl } from "../db/pg-url.ts";

const PRODUCTION_ROW = `SELECT "channel" FROM "Outbox" WHERE "channel" IS NOT NULL AND "channel" <> 'mock' LIMIT 1`;

/** The production channel that has used this database, or null (none, or no database yet). */
export async function usedByProduction(url: string): Promise<string | null> {
  if (isPostgresUrl(url)) {
    const { pgConnect } = await import("../db/postgres-engine.ts");
    const c = await pgConnect(url);
    try {
      const col = await c.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'Outbox' AND column_name = 'channel'`);
      if (!col.rowCount) return null;
      return ((await c.query(PRODUCTION_ROW)).rows[0]?.channel as string | undefined) ?? null;
    } finally {
      await c.end();
    }
  }
  const file = sqlitePath(url);
  if (!existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='Outbox'").get();
    if (!table) return null;
    const cols = db.prepare(`PRAGMA table_info("Outbox")`).all() as { name: string }[];
    if (!cols.some((c) => c.name === "channel")) return null;
    const row = db.prepare(PRODUCTION_ROW).get() as { channel: string } | undefined;
    return row?.channel ?? null;
  } finally {
    db.close();
  }
}
