// PostgreSQL for tests: a probe (tests needing PostgreSQL are skipped, with the reason, when it does not
// answer) and a throwaway database per test. The server: env DUBAN_TEST_PG_URL (a URL on a database the
// user may connect to, with the right to CREATE DATABASE), default postgresql://postgres@127.0.0.1:5432/postgres.
import type pg from "pg";
import { createScratchDatabase, pgAnswers, pgConnect } from "../src/db/postgres-engine.ts";
import { LOCAL_PG_URL, maskUrl } from "../src/db/pg-url.ts";

export const TEST_PG_URL = process.env.DUBAN_TEST_PG_URL || LOCAL_PG_URL;

/** Why PostgreSQL tests are skipped (for describe names and warnings). */
export const PG_SKIP_REASON = `PostgreSQL does not answer on ${maskUrl(TEST_PG_URL)} (set DUBAN_TEST_PG_URL)`;

const connect = (url = TEST_PG_URL): Promise<pg.Client> => pgConnect(url, { connectionTimeoutMillis: 3_000 });

let probe: Promise<boolean> | undefined;
/** True when the test server answers (asked once per process). */
export function pgAvailable(): Promise<boolean> {
  return (probe ??= pgAnswers(TEST_PG_URL));
}

/**
 * A new, empty database `duban_t_<random>` on the test server (from template0, UTF8, C collation: ORDER BY
 * on text as in SQLite) and `drop()` (idempotent; WITH (FORCE) closes what is still connected).
 */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const db = await createScratchDatabase(TEST_PG_URL, "duban_t_");
  return { url: db.url, name: String(db.config.database), drop: db.drop };
}

/** Names of the databases on the test server starting with `prefix`. */
export async function databasesLike(prefix: string): Promise<string[]> {
  const c = await connect();
  try {
    const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname", [prefix]);
    return rows.map((r) => r.datname);
  } finally {
    await c.end().catch(() => {});
  }
}
