// The only code that talks to a transport. Drains the outbox in order, splits long text on line
// boundaries under the transport's byte limit, and rate-limits per target by queueing (never dropping).
// A row is marked "sending" before it goes out; after a crash such rows become "uncertain" and are not
// resent: only a definite failure is retried.
import { checkpoint, type Db } from "../db/client.ts";
import { errText } from "./errors.ts";
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";
import { dbTime, type Target } from "./outbox.ts";
import { splitByBytes } from "./text.ts";

export interface TransportLimits {
  /** UTF-8 bytes per text message */
  maxBytes: number;
  /** messages per target per window */
  perTarget: number;
  windowMs: number;
}

export interface Transport {
  readonly limits: TransportLimits;
  sendText(target: Target, text: string, mentions: string[]): Promise<void>;
  sendFile(target: Target, path: string): Promise<void>;
}

/** Thrown by a transport when the message certainly did not go out (safe to retry). */
export class DefiniteSendFailure extends Error {}

const MAX_ATTEMPTS = 5;

export class Sender {
  private readonly sent = new Map<string, number[]>();
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly db: Db,
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Rows left "sending" by a crash may have been delivered: never resend them. */
  async recover(): Promise<void> {
    // an anonymous reply that may have gone out must not stay behind either (reporter + item in one row)
    if ((await this.db.outbox.deleteMany({ where: { status: "sending", ephemeral: true } })).count) await this.scrubWal();
    const n = await this.db.outbox.updateMany({ where: { status: "sending" }, data: { status: "uncertain" } });
    if (n.count) this.log.warn("outbox.uncertain", { count: n.count });
  }

  /**
   * Delete an anonymous reply once it is sent (or given up). secure_delete wipes it from the database
   * file; the WAL still holds the pages written with it (reply and item together) until they are reused,
   * so the WAL is checkpointed into the file and truncated at once.
   */
  private async forget(id: number): Promise<void> {
    await this.db.outbox.delete({ where: { id } });
    await this.scrubWal();
  }

  private async scrubWal(): Promise<void> {
    try {
      // another process reading or writing: the next checkpoint (tick) copies it over
      if (!(await checkpoint(this.db, "TRUNCATE"))) this.log.warn("db.wal_truncate_busy");
    } catch (e) {
      this.log.warn("db.wal_truncate_failed", { error: errText(e) });
    }
  }

  /** Send everything due now. Concurrent calls coalesce into one running drain. */
  drain(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.drainOnce();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** When the next queued row becomes due (rate limit or retry), or null. */
  async nextWakeup(): Promise<Date | null> {
    const row = await this.db.outbox.findFirst({ where: { status: "pending" }, orderBy: { notBefore: "asc" }, select: { notBefore: true } });
    return row?.notBefore ?? null;
  }

  private windowFor(key: string, now: number): number[] {
    const w = (this.sent.get(key) ?? []).filter((t) => t > now - this.transport.limits.windowMs);
    this.sent.set(key, w);
    return w;
  }

  /**
   * A row that went out but is not yet marked "sent". Marking it rides on the next claim (one statement
   * instead of two per message); until then it is "sending", which after a crash means "uncertain" —
   * true: it was delivered, so it is never resent. A second instance starting meanwhile also turns it
   * "uncertain" (recover() cannot tell a live sender from a dead one), so the mark accepts that too.
   */
  private delivered: { id: number; at: Date } | null = null;

  /** Claim a pending row ("sending", one more attempt), marking the last delivered row "sent" with it. */
  private async claim(id: number): Promise<boolean> {
    const d = this.delivered;
    if (!d) return (await this.db.outbox.updateMany({ where: { id, status: "pending" }, data: { status: "sending", attempts: { increment: 1 } } })).count === 1;
    const rows = await this.db.$queryRawUnsafe<{ id: number | bigint }[]>(
      `UPDATE "Outbox" SET
         "status" = CASE WHEN "id" = ? THEN 'sent' ELSE 'sending' END,
         "sentAt" = CASE WHEN "id" = ? THEN ? ELSE "sentAt" END,
         "attempts" = CASE WHEN "id" = ? THEN "attempts" ELSE "attempts" + 1 END
       WHERE ("id" = ? AND "status" IN ('sending', 'uncertain')) OR ("id" = ? AND "status" = 'pending')
       RETURNING "id"`,
      d.id, d.id, dbTime(d.at), d.id, d.id, id,
    );
    this.delivered = null; // (if the statement failed, settle() still marks it)
    return rows.some((r) => Number(r.id) === id);
  }

  /** Mark the last delivered row "sent" (before the drain ends or waits). */
  private async settle(): Promise<void> {
    const d = this.delivered;
    if (!d) return;
    this.delivered = null;
    try {
      await this.db.outbox.updateMany({ where: { id: d.id, status: { in: ["sending", "uncertain"] } }, data: { status: "sent", sentAt: d.at } });
    } catch (e) {
      // it stays "sending" → "uncertain" at the next start: not resent, only mislabelled
      this.log.warn("outbox.mark_sent_failed", { id: d.id, error: errText(e) });
    }
  }

  private async drainOnce(): Promise<void> {
    try {
      await this.drainRows();
    } finally {
      await this.settle();
    }
  }

  private async drainRows(): Promise<void> {
    const { maxBytes, perTarget, windowMs } = this.transport.limits;
    for (;;) {
      const now = this.clock.now();
      const rows = await this.db.outbox.findMany({
        where: { status: "pending", notBefore: { lte: now } },
        orderBy: { id: "asc" },
        take: 200,
      });
      if (!rows.length) return;
      const blocked = new Set<string>();
      let progressed = false;
      for (const row of rows) {
        const key = `${row.targetKind}:${row.targetId}`;
        if (blocked.has(key)) continue;
        const target = { kind: row.targetKind, id: row.targetId } as Target;
        const parts = row.filePath ? [row.filePath] : splitByBytes(row.text ?? "", maxBytes);
        const t = this.clock.now().getTime();
        const window = this.windowFor(key, t);
        if (window.length > 0 && window.length + parts.length > perTarget) {
          // queue behind the rate limit: due when enough of the window has expired
          const freeNeeded = Math.min(window.length, window.length + parts.length - perTarget);
          const release = new Date(window[freeNeeded - 1] + windowMs);
          await this.db.outbox.updateMany({ where: { targetKind: row.targetKind, targetId: row.targetId, status: "pending", notBefore: { lt: release } }, data: { notBefore: release } });
          blocked.add(key);
          continue;
        }
        if (!(await this.claim(row.id))) continue; // another instance took it
        let delivered = 0; // parts of this row that went out
        try {
          const mentions = JSON.parse(row.mentions) as string[];
          for (let i = 0; i < parts.length; i++) {
            if (row.filePath) await this.transport.sendFile(target, parts[i]);
            else await this.transport.sendText(target, parts[i], i === 0 ? mentions : []);
            window.push(this.clock.now().getTime());
            delivered++;
          }
          if (row.ephemeral) await this.forget(row.id);
          else this.delivered = { id: row.id, at: this.clock.now() }; // recorded with the next claim, or below
          progressed = true;
        } catch (e) {
          const definite = e instanceof DefiniteSendFailure;
          const attempts = row.attempts + 1;
          const retry = definite && attempts < MAX_ATTEMPTS;
          if (row.ephemeral && !retry) {
            // given up, or perhaps delivered: either way the anonymous reply row is not kept
            await this.forget(row.id);
            this.log.warn("outbox.send_failed", { id: row.id, definite, retry, ephemeral: true });
            blocked.add(key);
            continue;
          }
          // a transport's error may name the recipient: an anonymous reply's is not written anywhere
          const error = row.ephemeral ? "（匿名回复：原因不记录）" : errText(e).slice(0, 500);
          await this.db.outbox.update({
            where: { id: row.id },
            data: {
              status: retry ? "pending" : definite ? "failed" : "uncertain",
              notBefore: new Date(this.clock.now().getTime() + 30_000 * 2 ** attempts),
              error,
              // the parts already delivered are not part of the row any more (a retry sends the rest)
              ...(delivered > 0 ? { text: parts.slice(delivered).join("\n"), mentions: "[]" } : {}),
            },
          });
          this.log.warn("outbox.send_failed", { id: row.id, definite, retry, ...(row.ephemeral ? { ephemeral: true } : { error }), ...(delivered ? { partsSent: delivered } : {}) });
          blocked.add(key);
        }
      }
      // nothing new can have become due unless we sent something, and a short page was the whole queue
      if (!progressed || (rows.length < 200 && blocked.size === 0)) return;
    }
  }
}
