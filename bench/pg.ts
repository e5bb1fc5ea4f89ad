// PostgreSQL for the benches. Which server: DATABASE_URL when it names a PostgreSQL database (that
// database is only connected to, never written: the benches make their own), or BENCH_PG=1 for the local
// default server; neither set → SQLite only. Each bench database is a fresh `duban_bench_<tag>_…` (from
// template0, UTF8, C collation: text sorts as in SQLite), dropped afterwards — also on Ctrl-C or a
// timeout's SIGTERM.
import type pg from "pg";
import { createScratchDatabase, pgAnswers, pgConnect } from "../src/db/postgres-engine.ts";
import { isPostgresUrl, LOCAL_PG_URL, pgConfig } from "../src/db/pg-url.ts";

export { LOCAL_PG_URL, pgAnswers };

/** The PostgreSQL server the benches should also run on, or null (SQLite only). */
export function benchPgServer(env: NodeJS.ProcessEnv = process.env): string | null {
  const url = env.DATABASE_URL?.trim();
  if (url && isPostgresUrl(url)) return url;
  if (env.BENCH_PG === "1") return LOCAL_PG_URL;
  return null;
}

/** A plain node-postgres client on `url`, connected. */
export function pgClient(url: string, timeoutMs = 10_000): Promise<pg.Client> {
  return pgConnect(url, { connectionTimeoutMillis: timeoutMs, application_name: "duban-bench" });
}

/** "PostgreSQL 15.20 on 127.0.0.1:5432" (fsync and synchronous_commit when not the defaults). */
export async function pgServerLabel(url: string): Promise<string> {
  const c = await pgClient(url);
  try {
    const { rows } = await c.query<{ v: string; f: string; s: string }>("SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, current_setting('synchronous_commit') AS s");
    const cfg = pgConfig(url);
    const odd = [rows[0].f !== "on" ? `fsync=${rows[0].f}` : "", rows[0].s !== "on" ? `synchronous_commit=${rows[0].s}` : ""].filter(Boolean);
    return `PostgreSQL ${rows[0].v.split(" ")[0]} on ${cfg.host ?? "localhost"}:${cfg.port ?? 5432}${odd.length ? ` (${odd.join(", ")})` : ""}`;
  } finally {
    await c.end().catch(() => {});
  }
}

const live = new Set<() => Promise<void>>();
let hooked = false;
function hookSignals() {
  if (hooked) return;
  hooked = true;
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const)
    process.once(sig, () => {
      void Promise.allSettled([...live].map((d) => d())).finally(() => process.exit(code));
    });
}

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database `duban_bench_<tag>_…` on `server` (not migrated yet: openDatabase(url) does that). */
export async function benchDatabase(server: string, tag: string): Promise<BenchDatabase> {
  hookSignals();
  const d = await createScratchDatabase(server, `duban_bench_${tag}_`);
  const drop = async () => {
    live.delete(drop);
    await d.drop();
  };
  live.add(drop);
  return { url: d.url, name: String(d.config.database), drop };
}

/** Drop every bench database this process still holds. */
export async function dropAll(): Promise<void> {
  await Promise.allSettled([...live].map((d) => d()));
}
