// DATABASE_URL=postgresql://… : recognising it and turning it into node-postgres configurations.
import type { PoolConfig } from "pg";
import { parse, toClientConfig } from "pg-connection-string";

/** The local PostgreSQL server (trust auth) that development machines and CI run: tests, benches, shadow databases. */
export const LOCAL_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/** True for a PostgreSQL connection URL (postgres:// or postgresql://). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

/**
 * A node-postgres configuration for `url`, built field by field with pg-connection-string's `parse`, never as
 * `{ connectionString }`: @prisma/adapter-pg derives its shadow database by overriding `database` in this
 * object, and a `connectionString` would win over that override (the "shadow" would be the real database).
 * `extra` is merged on top (pool size, …).
 */
export function pgConfig(url: string, extra: PoolConfig = {}): PoolConfig {
  if (!isPostgresUrl(url)) throw new Error(`不是 PostgreSQL 地址：${maskUrl(url)}`);
  const parsed = parse(url);
  // Prisma's `?schema=` is not honoured by this setup (migrations, client and checks all use "public")
  const schema = parsed.schema;
  if (schema !== undefined && schema !== "public") throw new Error(`DATABASE_URL 的 schema=${String(schema)} 暂不支持：督办在 PostgreSQL 上只使用 public 模式`);
  const config: Record<string, unknown> = { ...toClientConfig(parsed) };
  // query parameters meant for Prisma's URL, not for node-postgres
  for (const k of ["schema", "connection_limit", "pool_timeout", "pgbouncer", "statement_cache_size", "socket_timeout"]) delete config[k];
  return { ...(config as PoolConfig), ...extra };
}

/** `url` with another database name (same server, user, parameters). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = "/" + encodeURIComponent(database);
  return u.toString();
}

/** `url` with its password replaced by "***", for messages and logs. */
export function maskUrl(url: string): string {
  if (!isPostgresUrl(url)) return url; // file: paths carry no password (and URL would rewrite them)
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
  }
}
