// Hand-written SQL that runs on both databases. Queries are Prisma.sql templates (parameters bound by
// the driver, `Date`s as timestamps), and the few places where SQLite and PostgreSQL spell a thing
// differently are the functions below (SQL text to put in with raw()), each taking the client it runs on. Nothing else in the domain,
// the jobs or the reports knows which database it has.
import { Prisma } from "../generated/prisma/client.ts";

export type Sql = Prisma.Sql;
export const sql = Prisma.sql;
export const join = Prisma.join;
export const raw = Prisma.raw;
export const empty = Prisma.empty;

export type Dialect = "sqlite" | "postgresql";

/** Which database a client (or one of its transactions) talks to. */
export function dialectOf(db: unknown): Dialect {
  return (db as { _activeProvider?: string })._activeProvider === "postgresql" ? "postgresql" : "sqlite";
}

/** An integer literal (a LIMIT), checked. */
export function int(n: number): Sql {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return raw(String(n));
}

/** A DateTime column as text in Prisma's SQLite form, "2026-03-05T01:00:00.000+00:00", cut to `chars`. */
export function timeText(db: unknown, col: string, chars = 29): string {
  if (dialectOf(db) === "postgresql") return `substr(to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"'), 1, ${chars})`;
  return `substr(${col}, 1, ${chars})`;
}

/**
 * The instant a date column ('YYYY-MM-DD') ends at `hhmm` UTC the same day, comparable with a DateTime
 * column (in SQLite both are text in one format; in PostgreSQL a timestamp without time zone, in UTC).
 */
export function dayAtUtc(db: unknown, col: string, hhmm: string): string {
  if (dialectOf(db) === "postgresql") return `CAST(${col} || ' ${hhmm}:00' AS timestamp)`;
  return `(${col} || 'T${hhmm}:00.000+00:00')`;
}

/** string_agg / group_concat of a text expression. */
export function groupConcat(db: unknown, expr: string, sep: string): string {
  const lit = `'${sep.replace(/'/g, "''")}'`;
  return dialectOf(db) === "postgresql" ? `string_agg(${expr}, ${lit})` : `group_concat(${expr}, ${lit})`;
}
