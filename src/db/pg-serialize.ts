// Write transactions on PostgreSQL take turns, as they do on SQLite (BEGIN IMMEDIATE, see
// sqlite-tuning.ts): each begins by taking one transaction-scoped advisory lock, which every instance on
// the database shares, and holds it until COMMIT or ROLLBACK. So the domain's read-then-write steps
// (the next item number, "is this message key claimed yet", "was this job run already written", a rate
// window's count and its reservation) are as atomic across a county's instances as they are on one
// SQLite file — without a retry loop in every command, and with the same outcomes on both databases.
// Within the process, transactions also queue before they borrow a pool connection, so waiting ones do
// not take every connection from the statements that run outside transactions (the sender's claims).
// Report snapshots run on the separate read pool and never take the lock.
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { mutex, onTransactionEnd } from "./turns.ts";

/** The advisory lock's key ("duban" in ASCII): one per database. */
export const WRITE_LOCK_KEY = 0x647562616e;

type Fn = (...a: any[]) => Promise<any>;

export function serializedWrites<F extends SqlDriverAdapterFactory>(factory: F): F {
  const lock = mutex();
  const wrap = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const start = adapter.startTransaction.bind(adapter) as Fn;
    adapter.startTransaction = async (...a: unknown[]) => {
      const release = await lock();
      try {
        const tx = await start(...a);
        try {
          await tx.executeRaw({ sql: `SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`, args: [], argTypes: [] });
        } catch (e) {
          await tx.executeRaw({ sql: "ROLLBACK", args: [], argTypes: [] }).catch(() => {});
          await tx.rollback().catch(() => {});
          throw e;
        }
        onTransactionEnd(tx, release);
        return tx;
      } catch (e) {
        release();
        throw e;
      }
    };
    return adapter;
  };
  return {
    ...factory,
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => wrap(await factory.connect()),
  } as F;
}
