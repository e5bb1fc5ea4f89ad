// The database: SQLite (better-sqlite3 driver adapter, WAL; `file:` URLs, the embedded default) or
// PostgreSQL (`postgresql://`, src/db/postgres.ts, for a county's several instances on one database).
// Start-up applies pending migrations. What differs between the two in upkeep is here; in SQL, sql.ts.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient, type Prisma } from "../generated/prisma/client.ts";
import { applyMigrations } from "./engine.ts";
import { tunedFactory } from "./sqlite-tuning.ts";
import { isPostgresUrl } from "./pg-url.ts";
import { dialectOf } from "./sql.ts";

export type Db = InstanceType<typeof PrismaClient>;
export type Tx = Prisma.TransactionClient;

export const DEFAULT_DATABASE_URL = "file:./data/duban.db";

/** "file:./data/duban.db" → absolute path of the SQLite file. */
export function sqlitePath(url: string): string {
  if (!url.startsWith("file:")) throw new Error(`DATABASE_URL 应为 SQLite 的 file: 地址或 PostgreSQL 的 postgresql:// 地址，当前为 ${url}`);
  return path.resolve(url.slice("file:".length));
}

/**
 * The database: `db` for commands and every write (one connection; transactions are BEGIN IMMEDIATE and
 * take turns), and `read`, a second, read-only connection for reports — a circular, a ledger, a reminder
 * run — which read a consistent snapshot (WAL: a reader sees the last commit before its first read and
 * never blocks the writer), so a command is answered while a report is being built.
 */
export async function openDatabase(url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL): Promise<{ db: Db; read: Db; file: string | null; applied: string[] }> {
  if (isPostgresUrl(url)) {
    const { openPostgres } = await import("./postgres.ts");
    // (the PostgreSQL client is generated from the same schema: the same models and methods)
    const { db, read, applied } = await openPostgres(url);
    return { db: db as unknown as Db, read: read as unknown as Db, file: null, applied };
  }
  const file = sqlitePath(url);
  mkdirSync(path.dirname(file), { recursive: true });
  const applied = await applyMigrations(file);
  const adapter = tunedFactory(new PrismaBetterSqlite3({ url: file, timeout: 10_000 }));
  const db = new PrismaClient({ adapter }) as Db;
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  // The WAL is copied back into the database (a checkpoint, with fsync) by tick() once a minute, off the
  // message path; SQLite's own checkpoint after every 1000 pages would land on a command's commit (a
  // third of the p99 in bench/command-loop). It stays on at 10,000 pages (~40 MB) as a safety net.
  await db.$queryRawUnsafe("PRAGMA wal_autocheckpoint = 10000");
  // and the WAL file is cut back to 4 MB when it is reused after a checkpoint
  await db.$queryRawUnsafe("PRAGMA journal_size_limit = 4194304");
  // deleted rows are overwritten on disk (the anonymous reply row is deleted once sent)
  await db.$queryRawUnsafe("PRAGMA secure_delete = ON");
  // the planner's statistics (sqlite_stat1), refreshed where they are missing or stale, each table sampled
  // (a few ms at 100,000 items): without them SQLite walks the whole campaign in number order for a
  // "mine" query of three items (/我的 13 ms → 0.1 ms at county scale, bench/reads.ts). tick() refreshes them.
  await optimize(db);
  // opened after the writer has put the file in WAL mode (a read-only connection cannot)
  const read = new PrismaClient({ adapter: tunedFactory(new PrismaBetterSqlite3({ url: file, timeout: 10_000, readonly: true } as any), { readonly: true }) }) as Db;
  return { db, read, file, applied };
}

/**
 * Options for a write transaction: it may wait its turn (another command, a job's write, or on PostgreSQL
 * another instance's write transaction holding the write lock) for up to 150 s before it begins.
 */
export const WRITE_TX = { maxWait: 150_000, timeout: 120_000 } as const;

/** What a report may read: a snapshot transaction on the read connection (or, in tests, any client). */
export type Reader = Tx | Db;

/**
 * Run `fn` on one consistent snapshot of the read connection: everything it reads is as of one commit,
 * and it holds no write lock however long it takes.
 */
export function snapshot<T>(read: Db, fn: (r: Tx) => Promise<T>): Promise<T> {
  return read.$transaction(fn, { maxWait: 150_000, timeout: 300_000 });
}

/**
 * Copy what the WAL holds back into the database file, waiting for nobody (PASSIVE). Returns false when
 * another process kept it from finishing (the next one copies the rest). (Nothing relies on emptying the
 * WAL any more: anonymous replies are sealed, see src/core/outbox.ts.)
 */
export async function checkpoint(db: Db): Promise<boolean> {
  if (dialectOf(db) === "postgresql") return true; // (PostgreSQL checkpoints and vacuums by itself)
  const [r] = await db.$queryRawUnsafe<{ busy: number | bigint }[]>(`PRAGMA wal_checkpoint(PASSIVE)`);
  return !Number(r?.busy);
}

/** SQLite's own upkeep of the planner's statistics (PRAGMA optimize, sampled: cheap when nothing changed). */
export async function optimize(db: Db): Promise<void> {
  if (dialectOf(db) === "postgresql") return; // (autovacuum keeps the planner's statistics)
  await db.$queryRawUnsafe("PRAGMA analysis_limit = 1000");
  await db.$queryRawUnsafe("PRAGMA optimize = 0x10002");
}

/**
 * True for a unique-constraint violation: Prisma's P2002, or from a raw query (P2010) the driver's own
 * (SQLite's "UNIQUE constraint failed", PostgreSQL's 23505).
 */
export function isUniqueViolation(e: unknown): boolean {
  const x = e as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  if (x?.code === "P2002") return true;
  if (x?.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation") return true;
  return /UNIQUE constraint failed|duplicate key value violates unique constraint|\b23505\b/.test(String((e as Error)?.message));
}
