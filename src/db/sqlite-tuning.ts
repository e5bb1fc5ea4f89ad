// Three things the better-sqlite3 driver adapter does not do, added around its connection:
//  - a prepared-statement cache: the adapter prepares every query anew (the largest single cost of a
//    command in the profile); Prisma's SQL text is stable per query shape, so statements are reused;
//  - BEGIN IMMEDIATE for transactions: a deferred BEGIN that reads and then writes fails at once with
//    SQLITE_BUSY when another process (a second instance on the same file) holds the write lock, instead
//    of waiting for it under the busy timeout;
//  - statements outside a transaction wait while one is open. The adapter serialises transactions with
//    each other, but runs any other statement at once on the same connection — that is, inside whatever
//    transaction is open: the sender's "sending" claim would be undone by another command's rollback
//    (and the message sent again), and a read would see rows not yet committed.
import type { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";

type Stmt = {
  reader: boolean;
  run(args?: unknown[]): unknown;
  columns(): unknown[];
  raw(on?: boolean): { all(args?: unknown[]): unknown[] };
};
type Client = { prepare(sql: string): Stmt };

const MAX_STATEMENTS = 1000;

function tune(client: Client): void {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, Stmt>();
  client.prepare = (sql: string) => {
    const text = sql === "BEGIN" ? "BEGIN IMMEDIATE" : sql;
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

/** One holder at a time, in arrival order. */
function mutex() {
  let tail: Promise<void> = Promise.resolve();
  return (): Promise<() => void> => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const turn = tail.then(() => release);
    tail = tail.then(() => held);
    return turn;
  };
}

function serialize(conn: Connection): void {
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
      const tx = await start(...a);
      let open = true;
      const end = (f: Fn): Fn => async (...b) => {
        try {
          return await f(...b);
        } finally {
          if (open) {
            open = false;
            release();
          }
        }
      };
      tx.commit = end(tx.commit.bind(tx));
      tx.rollback = end(tx.rollback.bind(tx));
      return tx;
    } catch (e) {
      release();
      throw e;
    }
  };
}

export function tunedFactory(inner: PrismaBetterSqlite3): PrismaBetterSqlite3 {
  const wrap = async (p: Promise<any>) => {
    const adapter = await p;
    tune(adapter.client as Client);
    serialize(adapter);
    return adapter;
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: () => wrap(inner.connect()),
    connectToShadowDb: () => wrap(inner.connectToShadowDb()),
  } as PrismaBetterSqlite3;
}
