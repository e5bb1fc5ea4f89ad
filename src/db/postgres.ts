// Prisma client on PostgreSQL (DATABASE_URL=postgresql://…, @prisma/adapter-pg), the scale-out
// alternative to the embedded SQLite file (src/db/client.ts). Start-up applies pending migrations of
// prisma/postgresql/migrations (without loading the schema engine when none is pending).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Prisma } from "../generated/prisma-pg/client.ts";
import { applyMigrationsPg } from "./postgres-engine.ts";
import { pgConfig } from "./pg-url.ts";
import { serializedWrites } from "./pg-serialize.ts";

/** The PostgreSQL client (a distinct type from the SQLite one; callers cast it `as unknown as Db`). */
export type PgDb = InstanceType<typeof PrismaClient>;
export type PgTx = Prisma.TransactionClient;

/** Connections of `db` (commands and writes) and of `read` (report snapshots). */
export const PG_POOL_SIZE = 10;
export const PG_READ_POOL_SIZE = 3;

/**
 * Startup parameters of the read pool's sessions: every transaction on `read` is a REPEATABLE READ
 * snapshot (all its reads as of one commit, like SQLite's WAL reader) and read-only (like the SQLite read
 * connection; a write there fails with 25006). Spaces inside a value are escaped for the server.
 */
export const READ_SESSION_OPTIONS = "-c default_transaction_isolation=repeatable\\ read -c default_transaction_read_only=on";

/**
 * The database on PostgreSQL: pending migrations applied, then `db` (a pool of PG_POOL_SIZE connections)
 * for commands and every write, and `read`, a separate, smaller pool of read-only snapshot sessions for
 * reports (a circular, a ledger, a reminder run). Close both with `$disconnect()`.
 */
export async function openPostgres(
  url: string,
  opts: { poolSize?: number; readPoolSize?: number } = {},
): Promise<{ db: PgDb; read: PgDb; applied: string[] }> {
  const applied = await applyMigrationsPg(url);
  const base = pgConfig(url, { application_name: "duban" });
  // write transactions take turns across every instance on the database (pg-serialize.ts)
  const db = new PrismaClient({ adapter: serializedWrites(new PrismaPg({ ...base, max: opts.poolSize ?? PG_POOL_SIZE })) }) as PgDb;
  const options = [base.options, READ_SESSION_OPTIONS].filter(Boolean).join(" ");
  const read = new PrismaClient({ adapter: new PrismaPg({ ...base, application_name: "duban-read", max: opts.readPoolSize ?? PG_READ_POOL_SIZE, options }) }) as PgDb;
  return { db, read, applied };
}
