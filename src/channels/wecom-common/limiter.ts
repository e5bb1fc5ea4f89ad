// A sliding-window count of messages per key, in this process (shared by the WeCom HTTP channels).
// The outbox already queues by the channel's declared `limits` (in the database, across restarts and
// instances); this is the channel's own backstop: a message that would go over is refused before it is
// sent (DefiniteSendFailure, so the outbox tries again later) instead of being dropped by the platform.

export interface Slot {
  /** the call is going out now: the slot counts from this instant */
  stamp(): void;
  /** the call was never made (a failure before it): give the slot back (a no-op once stamped) */
  release(): void;
  readonly used: boolean;
}

export class SlidingWindow {
  private hits = new Map<string, { at: number }[]>();
  private blocked = new Map<string, number>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  private live(key: string): { at: number }[] {
    const t = this.now();
    const list = (this.hits.get(key) ?? []).filter((h) => h.at > t - this.windowMs);
    if (list.length) this.hits.set(key, list);
    else this.hits.delete(key);
    return list;
  }

  /** When `n` more messages may go to `key` (now, or a later instant). */
  freeAt(key: string, n = 1): number {
    const t = this.now();
    const until = this.blocked.get(key) ?? 0;
    const list = this.live(key);
    const over = list.length + n - this.limit;
    const byCount = over <= 0 ? t : n > this.limit ? Infinity : [...list].sort((a, b) => a.at - b.at)[over - 1].at + this.windowMs;
    return Math.max(t, until, byCount);
  }

  /** Take `n` slots for `key`, or undefined when that would exceed the limit (nothing taken then). */
  reserve(key: string, n: number): Slot[] | undefined {
    if (this.freeAt(key, n) > this.now()) return undefined;
    const list = this.live(key);
    const slots: Slot[] = [];
    for (let i = 0; i < n; i++) {
      const h = { at: this.now() };
      list.push(h);
      let used = false;
      slots.push({
        get used() {
          return used;
        },
        stamp: () => {
          used = true;
          h.at = this.now();
        },
        release: () => {
          if (used) return;
          const cur = this.hits.get(key);
          const idx = cur?.indexOf(h) ?? -1;
          if (cur && idx >= 0) cur.splice(idx, 1);
        },
      });
    }
    this.hits.set(key, list);
    return slots;
  }

  /** The platform said "too many" (45009): send nothing more to `key` for a whole window. */
  block(key: string): void {
    this.blocked.set(key, this.now() + this.windowMs);
  }
}
