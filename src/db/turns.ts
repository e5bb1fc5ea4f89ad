// Transactions taking turns within the process: one holder at a time, in arrival order, held from the
// start of a transaction until its commit or rollback. Used by both databases' adapters (sqlite-tuning.ts,
// pg-serialize.ts), each adding what its database needs at the start and the end.

type Fn = (...a: any[]) => Promise<any>;

/** One holder at a time, in arrival order: `await turn()` gives the release function. */
export function mutex(): () => Promise<() => void> {
  let tail: Promise<void> = Promise.resolve();
  return () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const turn = tail.then(() => release);
    tail = tail.then(() => held);
    return turn;
  };
}

/**
 * Make `tx` call `onEnd` once, after its commit or its rollback (whichever comes first), whether that
 * succeeded or threw.
 */
export function onTransactionEnd<T extends { commit: Fn; rollback: Fn }>(tx: T, onEnd: () => void): T {
  let open = true;
  const end =
    (f: Fn): Fn =>
    async (...b) => {
      try {
        return await f(...b);
      } finally {
        if (open) {
          open = false;
          onEnd();
        }
      }
    };
  tx.commit = end(tx.commit.bind(tx));
  tx.rollback = end(tx.rollback.bind(tx));
  return tx;
}
