// What the better-sqlite3 driver adapter does not do, added around its connection:
//  - a prepared-statement cache: the adapter prepares every query anew (the largest single cost of a
//    command in the profile); Prisma's SQL text is stable per query shape, so statements are reused;
//  - statements outside a transaction wait while one is open. The adapter serialises transactions with
//    each other, but runs any other statement at once on the same connection — that is, inside whatever
//    transaction is open: the sender's "sending" claim would be undone by another command's rollback
//    (and the message sent again), and a read would see rows not yet committed;
//  - transactions begin here, with BEGIN IMMEDIATE: a deferred BEGIN that reads and then writes fails at
//    once with SQLITE_BUSY when another process (a second instance on the same file) holds the write
//    lock. The adapter's own BEGIN is a no-op: when it fails, the adapter keeps its internal lock for
//    good and every later transaction of the process waits forever;
//  - a transaction whose COMMIT failed is rolled back (the adapter's rollback() sends nothing, and
//    SQLite keeps such a transaction open: later statements would run inside it and never be saved).
import type { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { mutex, onTransactionEnd } from "./turns.ts";

type Stmt = {
  reader: boolean;
  run(args?: unknown[]): unknown;
  columns(): unknown[];
  raw(on?: boolean): { all(args?: unknown[]): unknown[] };
};
type Client = { prepare(sql: string): Stmt; inTransaction: boolean };

/** Stands for the adapter's own "BEGIN": the transaction was begun already (see serialize). */
const BEGUN: Stmt = { reader: false, run: () => ({ changes: 0 }), columns: () => [], raw: () => ({ all: () => [] }) };

const MAX_STATEMENTS = 1000;

function tune(client: Client): void {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, Stmt>();
  client.prepare = (text: string) => {
    if (text === "BEGIN") return BEGUN;
    let st = cache.get(text);
    if (!st) {
      st = prepare(text);
      if (cache.size >= MAX_STATEMENTS) cache.clear();
      cache.set(text, st);
    }
    const stmt = st;
    // the adapter binds each statement once; a cached statement is bound per call instead
    const view = (args: unknown[] = []) => ({
      reader: stmt.reader,
      run: () => stmt.run(args),
      columns: () => stmt.columns(),
      raw: () => ({ all: () => stmt.raw(true).all(args) }),
    });
    return { ...view(), bind: (args: unknown[]) => view(args) } as unknown as Stmt;
  };
}

type Fn = (...a: any[]) => Promise<any>;
interface Connection {
  queryRaw: Fn;
  executeRaw: Fn;
  executeScript: Fn;
  startTransaction: Fn;
}

const BUSY_RETRIES = 10;

/**
 * BEGIN IMMEDIATE, waiting (busy timeout, then retries) while another process holds the write lock. A
 * read-only connection begins DEFERRED: its snapshot starts at the first read and takes no write lock.
 */
async function begin(client: Client, readonly: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      client.prepare(readonly ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE").run();
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== "SQLITE_BUSY" || attempt >= BUSY_RETRIES) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Leave no transaction open on the connection. */
function rollbackIfOpen(client: Client): void {
  if (client.inTransaction) client.prepare("ROLLBACK").run();
}

function serialize(conn: Connection, client: Client, readonly: boolean): void {
  const lock = mutex();
  const alone =
    (f: Fn): Fn =>
    async (...a) => {
      const release = await lock();
      try {
        return await f(...a);
      } finally {
        release();
      }
    };
  conn.queryRaw = alone(conn.queryRaw.bind(conn));
  conn.executeRaw = alone(conn.executeRaw.bind(conn));
  conn.executeScript = alone(conn.executeScript.bind(conn));
  const start = conn.startTransaction.bind(conn);
  // a transaction holds the lock from BEGIN until its commit or rollback
  conn.startTransaction = async (...a) => {
    const release = await lock();
    try {
      await begin(client, readonly);
      const tx = await start(...a).catch((e: unknown) => {
        rollbackIfOpen(client);
        throw e;
      });
      onTransactionEnd(tx, () => {
        try {
          rollbackIfOpen(client); // only after a failed COMMIT (Prisma then calls rollback())
        } finally {
          release();
        }
      });
      return tx;
    } catch (e) {
      release();
      throw e;
    }
  };
}

export function tunedFactory(inner: PrismaBetterSqlite3, opts: { readonly?: boolean } = {}): PrismaBetterSqlite3 {
  const wrap = async (p: Promise<any>) => {
    const adapter = await p;
    tune(adapter.client as Client);
    serialize(adapter, adapter.client as Client, !!opts.readonly);
    return adapter;
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: () => wrap(inner.connect()),
    connectToShadowDb: () => wrap(inner.connectToShadowDb()),
  } as PrismaBetterSqlite3;
}
