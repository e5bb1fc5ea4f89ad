// Two things the better-sqlite3 driver adapter does not do, added around its connection:
//  - a prepared-statement cache: the adapter prepares every query anew (the largest single cost of a
//    command in the profile); Prisma's SQL text is stable per query shape, so statements are reused;
//  - BEGIN IMMEDIATE for transactions: a deferred BEGIN that reads and then writes fails at once with
//    SQLITE_BUSY when another process (a second instance on the same file) holds the write lock, instead
//    of waiting for it under the busy timeout.
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

export function tunedFactory(inner: PrismaBetterSqlite3): PrismaBetterSqlite3 {
  const wrap = async (p: Promise<any>) => {
    const adapter = await p;
    tune(adapter.client as Client);
    return adapter;
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: () => wrap(inner.connect()),
    connectToShadowDb: () => wrap(inner.connectToShadowDb()),
  } as PrismaBetterSqlite3;
}
