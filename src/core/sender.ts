// The only code that talks to the channels. Drains the outbox in order, splits long text on line
// boundaries under the channel's byte limit (counting what the channel adds: the `@name` prefix of
// mentions), and rate-limits per target by queueing (never dropping), in a window kept in the database
// (SendLog) so that it holds across restarts and across instances on one database.
// A row is claimed ("sending", with a lease: claimedBy, claimedAt) before it goes out; one whose lease ran
// out (its instance died) becomes "uncertain" and is not resent: only a definite failure is retried. Every send has a timeout; a send that runs out of it may
// have gone out ("uncertain"). A slow chat does not hold up the others: after a short patience its send
// goes on in the background and the drain carries on with the other chats.
// Quiet hours hold every row except a direct answer to someone who has just sent a command.
// Sealed rows (see outbox.ts) are opened only by the process that wrote them, deleted once sent, and
// their key dropped.
import { WRITE_TX, type Db } from "../db/client.ts";
import { dialectOf } from "../db/sql.ts";
import type { Calendar } from "../domain/calendar.ts";
import { errText } from "./errors.ts";
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";
import { holdsKey, INSTANCE, seal, SEALED_TARGET, shred, targetTag, unseal, type Target } from "./outbox.ts";
import { splitByBytes } from "./text.ts";
import { withTimeout } from "./timeout.ts";

import { DefiniteSendFailure, type Channel } from "./ports.ts";
import { insertOutgoing } from "./outbox.ts";
export { DefiniteSendFailure };

/** The dispatch-key prefix of the 督办员's notice that a chat cannot be reached (never reported itself). */
const UNREACHABLE = "unreachable:";

export interface SenderOptions {
  /** quiet hours ["21:00", "08:00"] in the calendar's timezone (cfg.reminders.quiet) */
  quiet?: [string, string];
  /** the campaign's calendar (needed with `quiet`) */
  cal?: Calendar;
  /** who hears that a chat cannot be reached by any channel (the 督办员's member ids) */
  office?: () => string[];
  /** a send that has not finished by then may have gone out: "uncertain", never resent (default 30 s) */
  sendTimeoutMs?: number;
  /** how long the drain waits for one chat's send before it goes on with the others (default 2 s) */
  patienceMs?: number;
}

const MAX_ATTEMPTS = 5;
/** A "sending" row's lease (at least twice the send timeout): see recover(). */
export const LEASE_MS = 2 * 60_000;
/** A reply that came in on another instance's bot account is left to that instance for this long. */
export const OWNER_GRACE_MS = 60_000;
/** A sealed row this process cannot open, older than this, was written by a process that died. */
export const SEALED_ORPHAN_MS = 5 * 60_000;
/** The text of an extra part that only carries mentions (more mentions than one message can hold). */
const MENTIONS_ONLY = "（同上）";

type Part = { text: string; mentions: string[] } | { file: string };

/** A row as it will go out: sealed rows opened. */
interface Opened {
  /** the channel it goes out on (see route()) */
  ch: Channel;
  target: Target;
  text: string | null;
  file: string | null;
  mentions: string[];
  sealed: boolean;
}

type Row = Awaited<ReturnType<Db["outbox"]["findMany"]>>[number];
type Result = { ok: true; at: Date } | { ok: false };

export class Sender {
  private running: Promise<void> | null = null;
  private again = false;
  /** targets whose send outlasted the patience and goes on in the background */
  private readonly lanes = new Map<string, Promise<void>>();
  private lastSweep = -Infinity;
  private readonly sendTimeoutMs: number;
  private readonly patienceMs: number;

  constructor(
    private readonly db: Db,
    private readonly channels: readonly Channel[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly o: SenderOptions = {},
  ) {
    this.sendTimeoutMs = o.sendTimeoutMs ?? 30_000;
    this.patienceMs = o.patienceMs ?? 2_000;
  }

  /** The longest rate window of the channels (the send log is pruned behind it). */
  private get windowMs(): number {
    return Math.max(60_000, ...this.channels.map((c) => c.limits.windowMs));
  }

  /**
   * The channel a row goes out on: the one its inbound message came by (same name, preferably the same
   * bot account) when that one can reach the chat, else the first configured channel that can.
   */
  private route(row: Row, o: Omit<Opened, "ch">): Channel | null {
    const d = { target: o.target, file: o.file ?? undefined };
    if (row.channel) {
      const named = this.channels.filter((c) => c.name === row.channel);
      const own = named.find((c) => c.account() === row.account) ?? named[0];
      if (own?.canReach(d)) return own;
    }
    return this.channels.find((c) => c.canReach(d)) ?? null;
  }

  /**
   * No channel can deliver this row: it is marked failed with the reason (a sealed row is deleted), and
   * the 督办员 hear of it once a day per chat (a notice that itself cannot be delivered is not reported).
   */
  private async unreachable(row: Row, o: Omit<Opened, "ch">): Promise<boolean> {
    const names = this.channels.map((c) => c.name).join("、") || "无";
    const chat = o.target.kind === "room" ? "群" : "私聊";
    const who = o.sealed ? `${chat}（匿名回复，不记录对象）` : `${chat} ${o.target.id}`;
    const what = o.file ? "文件" : "消息";
    const reason = `没有能送达的通道：发往${who}的${what}，已配置的通道（${names}）都无法送达`;
    if (o.sealed) await this.forget(row);
    else await this.db.outbox.updateMany({ where: { id: row.id, status: "pending" }, data: { status: "failed", error: reason } });
    this.log.warn("outbox.unreachable", { id: row.id, ...(o.sealed ? { sealed: true } : { target: `${o.target.kind}:${o.target.id}` }), file: !!o.file, channels: names });
    if (row.dispatchKey?.startsWith(UNREACHABLE)) return false;
    const now = this.clock.now();
    const day = this.o.cal ? this.o.cal.local(now).ymd : now.toISOString().slice(0, 10);
    const about = o.sealed ? "sealed" : `${o.target.kind}:${o.target.id}`;
    const text = `【送达失败】${reason}。这条已标记为失败，不再重试；请检查通道配置（duban.yaml 的 rooms[].webhook，或 WECHATY_* / WECOM_* 环境变量），或改用其他方式通知。（同一对象当天只提醒一次）`;
    let queued = false;
    for (const id of this.o.office?.() ?? []) {
      if (o.target.kind === "contact" && o.target.id === id && !o.sealed) continue; // (it would not reach them either)
      try {
        await this.db.$transaction((tx) => insertOutgoing(tx, [{ target: { kind: "contact", id }, text, dispatchKey: `${UNREACHABLE}${about}:${day}:${id}` }], now), WRITE_TX);
        queued = true;
      } catch {
        // already told today (the dispatch key is unique)
      }
    }
    return queued;
  }

  /**
   * Rows left "sending" by a crash may have been delivered: never resend them. A row is "sending" under a
   * lease (claimedBy, claimedAt): a live instance settles it within its send timeout, so one whose lease
   * has run out belongs to an instance that died mid-send and becomes "uncertain" — at start-up, and in
   * every sweep (another instance on the same database may be the one that died). A row of a live
   * instance is left to it.
   */
  async recover(): Promise<void> {
    // an anonymous reply written before rows were sealed: not kept either way (reporter + item in one row)
    await this.db.outbox.deleteMany({ where: { status: "sending", ephemeral: true, sealed: false } });
    await this.expireLeases(this.clock.now());
    await this.sweep(this.clock.now());
  }

  /** How long a "sending" row is its claimant's: well beyond a send's timeout. */
  private get leaseMs(): number {
    return Math.max(LEASE_MS, 2 * this.sendTimeoutMs);
  }

  private async expireLeases(now: Date): Promise<void> {
    // (a sealed row "sending" belongs to a live instance, or is swept once it is an orphan)
    const n = await this.db.outbox.updateMany({
      where: { status: "sending", sealed: false, OR: [{ claimedAt: null }, { claimedAt: { lt: new Date(now.getTime() - this.leaseMs) } }] },
      data: { status: "uncertain" },
    });
    if (n.count) this.log.warn("outbox.uncertain", { count: n.count });
  }

  /** Delete a sealed row once it is sent (or given up), then drop its key. */
  private async forget(row: Row): Promise<void> {
    try {
      await this.db.outbox.delete({ where: { id: row.id } });
    } finally {
      shred(row.text); // (a row whose delete failed is unreadable now, and swept later)
    }
  }

  /**
   * At most once a window: prune the send log; remove sealed rows whose writer died (only a count is
   * logged) and those of ours whose key is gone; mark ours as alive (their createdAt is their writer's
   * heartbeat, so another instance does not take a row held back by quiet hours for an orphan).
   */
  private async sweep(now: Date): Promise<void> {
    const t = now.getTime();
    if (t - this.lastSweep < this.windowMs) return;
    this.lastSweep = t;
    try {
      await this.expireLeases(now);
      await this.db.sendLog.deleteMany({ where: { at: { lte: new Date(t - this.windowMs) } } });
      await this.db.outbox.updateMany({ where: { sealed: true, targetId: SEALED_TARGET, createdAt: { lt: now } }, data: { createdAt: now } });
      const orphans = await this.db.outbox.deleteMany({ where: { sealed: true, targetId: { not: SEALED_TARGET }, createdAt: { lt: new Date(t - SEALED_ORPHAN_MS) } } });
      const mine = await this.db.outbox.findMany({ where: { sealed: true, targetId: SEALED_TARGET }, select: { id: true, text: true } });
      const lost = mine.filter((r) => !holdsKey(r.text)).map((r) => r.id);
      if (lost.length) await this.db.outbox.deleteMany({ where: { id: { in: lost } } });
      if (orphans.count + lost.length) this.log.warn("outbox.sealed_orphans_removed", { count: orphans.count + lost.length });
    } catch (e) {
      this.log.warn("outbox.sweep_failed", { error: errText(e) });
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

  /** Drain, and wait for the sends that went on in the background too (tests, shutdown). */
  async idle(): Promise<void> {
    do {
      await this.drain();
      await Promise.all([...this.lanes.values()]);
    } while (this.running || this.lanes.size);
  }

  /** When the next queued row becomes due (rate limit, retry, quiet hours), or null. */
  async nextWakeup(): Promise<Date | null> {
    const row = await this.db.outbox.findFirst({ where: { status: "pending", OR: [{ sealed: false }, { targetId: SEALED_TARGET }] }, orderBy: { notBefore: "asc" }, select: { notBefore: true } });
    return row?.notBefore ?? null;
  }

  /** The end of the quiet hours `at` lies in, or null when it is not in them. */
  private quietEnd(at: Date): Date | null {
    const { quiet, cal } = this.o;
    if (!quiet || !cal || !cal.inQuiet(at, quiet)) return null;
    const to = quiet[1];
    const l = cal.local(at);
    const hm = `${String(l.hh).padStart(2, "0")}:${String(l.mm).padStart(2, "0")}`;
    return cal.instant(hm >= to ? cal.addDays(l.ymd, 1) : l.ymd, to);
  }

  /** `at`, or the end of the quiet hours it falls in. */
  private afterQuiet(at: Date): Date {
    return this.quietEnd(at) ?? at;
  }

  /**
   * A row that went out but is not yet marked "sent". Marking it rides on the next claim (one statement
   * instead of two per message); until then it is "sending", which after a crash means "uncertain" —
   * true: it was delivered, so it is never resent. (A lease that ran out meanwhile — a clock jumped
   * forward in a replay — has made it "uncertain": the mark accepts that too.)
   */
  private delivered: { id: number; at: Date } | null = null;

  /** Claim a pending row ("sending", one more attempt), marking the last delivered row "sent" with it. */
  private async claim(id: number): Promise<boolean> {
    const d = this.delivered;
    const at = this.clock.now();
    if (!d) return (await this.db.outbox.updateMany({ where: { id, status: "pending" }, data: { status: "sending", attempts: { increment: 1 }, claimedBy: INSTANCE, claimedAt: at } })).count === 1;
    const rows = await this.db.$queryRaw<{ id: number | bigint }[]>`
      UPDATE "Outbox" SET
         "status" = CASE WHEN "id" = ${d.id} THEN 'sent' ELSE 'sending' END,
         "sentAt" = CASE WHEN "id" = ${d.id} THEN ${d.at} ELSE "sentAt" END,
         "attempts" = CASE WHEN "id" = ${d.id} THEN "attempts" ELSE "attempts" + 1 END,
         "claimedBy" = CASE WHEN "id" = ${d.id} THEN "claimedBy" ELSE ${INSTANCE} END,
         "claimedAt" = CASE WHEN "id" = ${d.id} THEN "claimedAt" ELSE ${at} END
       WHERE ("id" = ${d.id} AND "status" IN ('sending', 'uncertain')) OR ("id" = ${id} AND "status" = 'pending')
       RETURNING "id"`;
    this.delivered = null; // (if the statement failed, settle() still marks it)
    return rows.some((r) => Number(r.id) === id);
  }

  /** Mark the last delivered row "sent" (before the drain ends or waits). */
  private async settle(): Promise<void> {
    const d = this.delivered;
    if (!d) return;
    this.delivered = null;
    await this.markSent(d.id, d.at);
  }

  private async markSent(id: number, at: Date): Promise<void> {
    try {
      await this.db.outbox.updateMany({ where: { id, status: { in: ["sending", "uncertain"] } }, data: { status: "sent", sentAt: at } });
    } catch (e) {
      // it stays "sending" → "uncertain" at the next start: not resent, only mislabelled
      this.log.warn("outbox.mark_sent_failed", { id, error: errText(e) });
    }
  }

  /**
   * Take `n` places in the target's rate window, if it has them (or is empty: a message longer than the
   * window still goes, alone). One statement: counting and taking are atomic across instances (SQLite
   * takes the write lock before the statement reads; PostgreSQL: see below). Returns the send-log ids, or null when full.
   * The window counts both the recipient's id and its stand-in for sealed rows.
   */
  private async reserve(o: Opened, n: number, now: Date): Promise<number[] | null> {
    const { perTarget, windowMs } = o.ch.limits;
    const { plain, tag } = windowKeys(o);
    const since = new Date(now.getTime() - windowMs);
    // (SQLite takes the write lock before the statement reads; on PostgreSQL two statements could both
    // count before either inserts, so there it runs as a write transaction, which takes its turn)
    const run = <T,>(f: (q: Pick<Db, "$queryRaw">) => Promise<T>) => (dialectOf(this.db) === "postgresql" ? this.db.$transaction((tx) => f(tx), WRITE_TX) : f(this.db));
    const rows = await run((q) => q.$queryRaw<{ id: number | bigint }[]>`
      WITH RECURSIVE "w" AS (SELECT COUNT(*) AS "c" FROM "SendLog" WHERE "target" IN (${plain}, ${tag}) AND "at" > ${since}),
         "n"("i") AS (SELECT 1 UNION ALL SELECT "i" + 1 FROM "n" WHERE "i" < ${n})
       INSERT INTO "SendLog" ("target", "at") SELECT ${o.sealed ? tag : plain}, ${now} FROM "n", "w" WHERE "w"."c" = 0 OR "w"."c" + ${n} <= ${perTarget}
       RETURNING "id"`);
    return rows.length ? rows.map((r) => Number(r.id)) : null;
  }

  /** When `n` more messages fit into the target's window. */
  private async release(o: Opened, n: number, now: Date): Promise<Date> {
    const { perTarget, windowMs } = o.ch.limits;
    const { plain, tag } = windowKeys(o);
    const window = await this.db.sendLog.findMany({
      where: { target: { in: [plain, tag] }, at: { gt: new Date(now.getTime() - windowMs) } },
      orderBy: { at: "asc" },
      select: { at: true },
    });
    if (!window.length) return now; // (emptied meanwhile)
    const freeNeeded = Math.min(window.length, window.length + n - perTarget);
    return new Date(window[Math.max(0, freeNeeded - 1)].at.getTime() + windowMs);
  }

  /** Parts that went out (or may have) count from when they did: their places are stamped with now. */
  private async stamp(ids: number[], since: number): Promise<void> {
    const now = this.clock.now();
    if (!ids.length || now.getTime() <= since) return;
    await this.db.sendLog.updateMany({ where: { id: { in: ids } }, data: { at: now } });
  }

  private async unreserve(ids: number[]): Promise<void> {
    if (ids.length) await this.db.sendLog.deleteMany({ where: { id: { in: ids } } });
  }

  /** The row as it goes out: a sealed row opened with its key (null: not ours to open). */
  private open(row: Row): Omit<Opened, "ch"> | null {
    if (!row.sealed) return { target: { kind: row.targetKind, id: row.targetId } as Target, text: row.text, file: row.filePath, mentions: JSON.parse(row.mentions) as string[], sealed: false };
    const p = unseal(row.text);
    return p && { target: { kind: row.targetKind, id: p.id } as Target, text: p.text, file: p.file, mentions: p.mentions, sealed: true };
  }

  /**
   * The messages a row becomes. Each part, with what the transport adds for its mentions, is at most
   * maxBytes. Mentions ride on the first part; when they would take more than three quarters of a
   * message, they are spread over the parts in groups of at most half a message each (with extra parts
   * that only carry mentions if needed).
   */
  private async plan(o: Opened): Promise<Part[]> {
    if (o.file) return [{ file: o.file }];
    const { maxBytes } = o.ch.limits;
    const text = o.text ?? "";
    const ch = o.ch;
    const overhead = ch.overhead ? async (t: Target, m: string[]) => ch.overhead!(t, m) : undefined;
    if (!o.mentions.length || !overhead) return splitByBytes(text, maxBytes).map((t, i) => ({ text: t, mentions: i === 0 ? o.mentions : [] }));
    const timed = (m: string[]) => withTimeout(overhead(o.target, m), this.sendTimeoutMs, "查询被@成员的名字");
    const groups: string[][] = [];
    const costs: number[] = [];
    const all = await timed(o.mentions);
    if (all <= (maxBytes * 3) / 4) {
      groups.push(o.mentions);
      costs.push(all);
    } else {
      let g: string[] = [];
      let cost = 0;
      for (const m of o.mentions) {
        const c = await timed([...g, m]);
        if (g.length && c > maxBytes / 2) {
          groups.push(g);
          costs.push(cost);
          g = [m];
          cost = await timed(g);
        } else {
          g.push(m);
          cost = c;
        }
      }
      groups.push(g);
      costs.push(cost);
    }
    const texts = splitByBytes(text, (i) => maxBytes - (costs[i] ?? 0));
    while (texts.length < groups.length) texts.push(MENTIONS_ONLY);
    return texts.map((t, i) => ({ text: t, mentions: groups[i] ?? [] }));
  }

  private async drainOnce(): Promise<void> {
    try {
      await this.drainRows();
    } finally {
      await this.settle();
    }
  }

  private async drainRows(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      await this.sweep(now);
      const quietEnd = this.quietEnd(now);
      // quiet hours: everything but direct answers waits for their end
      if (quietEnd) await this.db.outbox.updateMany({ where: { status: "pending", direct: false, notBefore: { lt: quietEnd } }, data: { notBefore: quietEnd } });
      const rows = await this.db.outbox.findMany({
        // (another instance's sealed rows are its own to send)
        where: { status: "pending", notBefore: { lte: now }, OR: [{ sealed: false }, { targetId: SEALED_TARGET }] },
        orderBy: { id: "asc" },
        take: 200,
      });
      if (!rows.length) return;
      const blocked = new Set<string>();
      let progressed = false;
      let queued = false; // notices written during this pass (not in `rows`)
      for (const row of rows) {
        // a reply that came in on another instance's bot account is that instance's to send (it is in
        // that chat); if it is not sent within the grace, the instance is taken for dead and any may
        if (row.account && !this.channels.some((c) => c.name === row.channel && c.account() === row.account) && now.getTime() - row.createdAt.getTime() < OWNER_GRACE_MS) continue;
        const opened = this.open(row);
        if (!opened) continue; // a key this process lost: swept
        const ch = this.route(row, opened);
        if (!ch) {
          if (await this.unreachable(row, opened)) queued = true;
          continue;
        }
        const o: Opened = { ...opened, ch };
        const key = `${o.target.kind}:${o.target.id}`;
        if (blocked.has(key) || this.lanes.has(key)) {
          blocked.add(key);
          continue;
        }
        const t0 = this.clock.now();
        if (!row.direct && this.quietEnd(t0)) {
          blocked.add(key); // (held by the statement above on the next pass)
          continue;
        }
        let parts: Part[];
        try {
          parts = await this.plan(o);
        } catch (e) {
          // nothing went out: the transport could not even look up the names to mention
          await this.failed(row, o, [], [], 0, new DefiniteSendFailure(errText(e)), t0.getTime(), false);
          blocked.add(key);
          continue;
        }
        const reserved = await this.reserve(o, parts.length, t0);
        if (!reserved) {
          // queue behind the rate limit: due when enough of the window has expired (and, for what quiet
          // hours hold, not before they end)
          const release = await this.release(o, parts.length, t0);
          const held = this.afterQuiet(release);
          if (o.sealed) await this.db.outbox.updateMany({ where: { id: row.id, notBefore: { lt: release } }, data: { notBefore: row.direct ? release : held } });
          else {
            const same = { targetKind: row.targetKind, targetId: row.targetId, status: "pending" };
            await this.db.outbox.updateMany({ where: { ...same, notBefore: { lt: release } }, data: { notBefore: release } });
            if (held > release) await this.db.outbox.updateMany({ where: { ...same, direct: false, notBefore: { lt: held } }, data: { notBefore: held } });
          }
          blocked.add(key);
          continue;
        }
        if (!(await this.claim(row.id))) {
          await this.unreserve(reserved); // another instance took it
          continue;
        }
        const sending = this.sendRow(row, o, parts, reserved, t0.getTime());
        const first = await orSlow(sending, this.patienceMs);
        if (first === "slow") {
          // this chat is slow: its send goes on in the background, the others do not wait for it
          this.lanes.set(
            key,
            sending
              .then((r) => (r.ok ? this.done(row, o, r.at) : undefined))
              .catch((e) => this.log.warn("outbox.send_failed", { id: row.id, error: o.sealed ? undefined : errText(e) }))
              .finally(() => {
                this.lanes.delete(key);
                void this.drain().catch(() => {}); // what waited behind it
              }),
          );
          blocked.add(key);
          continue;
        }
        if (first.ok) {
          if (o.sealed) await this.forget(row);
          else this.delivered = { id: row.id, at: first.at }; // recorded with the next claim, or below
          progressed = true;
        } else blocked.add(key);
      }
      // nothing new can have become due unless we sent something, and a short page was the whole queue
      if (queued) continue;
      if (!progressed || (rows.length < 200 && blocked.size === 0)) return;
    }
  }

  /** A row sent in the background: recorded at once. */
  private async done(row: Row, o: Opened, at: Date): Promise<void> {
    if (o.sealed) await this.forget(row);
    else await this.markSent(row.id, at);
  }

  /** Send a claimed row's parts, each with a timeout. Failures are recorded here. */
  private async sendRow(row: Row, o: Opened, parts: Part[], reserved: number[], t0: number): Promise<Result> {
    let delivered = 0; // parts of this row that went out
    try {
      for (const p of parts) {
        const replyHandle = row.replyHandle ?? undefined;
        const send = "file" in p ? o.ch.send({ target: o.target, file: p.file, mentions: [], replyHandle }) : o.ch.send({ target: o.target, text: p.text, mentions: p.mentions, replyHandle });
        await withTimeout(send, this.sendTimeoutMs, "发送");
        delivered++;
      }
      await this.stamp(reserved, t0).catch((e) => this.log.warn("sendlog.stamp_failed", { error: errText(e) }));
      return { ok: true, at: this.clock.now() };
    } catch (e) {
      await this.failed(row, o, parts, reserved, delivered, e, t0);
      return { ok: false };
    }
  }

  /** A failed row: retried when it certainly did not go out, else "failed"/"uncertain" (sealed: deleted). */
  private async failed(row: Row, o: Opened, parts: Part[], reserved: number[], delivered: number, e: unknown, t0: number, claimed = true): Promise<void> {
    const definite = e instanceof DefiniteSendFailure;
    const attempts = row.attempts + 1;
    const retry = definite && attempts < MAX_ATTEMPTS;
    // what certainly did not go out gives its places in the window back; the rest count from now
    await this.unreserve(definite ? reserved.slice(delivered) : []).catch(() => {});
    await this.stamp(definite ? reserved.slice(0, delivered) : reserved, t0).catch(() => {});
    if (o.sealed && !retry) {
      // given up, or perhaps delivered: either way the sealed row is not kept
      await this.forget(row);
      this.log.warn("outbox.send_failed", { id: row.id, definite, retry, sealed: true });
      return;
    }
    // a transport's error may name the recipient: a sealed row's is not written anywhere
    const error = o.sealed ? "（匿名回复：原因不记录）" : errText(e).slice(0, 500);
    // the parts already delivered are not part of the row any more (a retry sends the rest)
    let rest = {};
    if (delivered > 0) {
      const left = parts.slice(delivered).filter((p): p is Extract<Part, { text: string }> => "text" in p);
      const text = left.map((p) => p.text).join("\n");
      const mentions = left.flatMap((p) => p.mentions);
      if (o.sealed) {
        const s = seal({ id: o.target.id, text, file: null, mentions });
        rest = { targetId: s.targetId, text: s.text };
        shred(row.text);
      } else rest = { text, mentions: JSON.stringify(mentions) };
    }
    await this.db.outbox.update({
      where: { id: row.id },
      data: {
        status: retry ? "pending" : definite ? "failed" : "uncertain",
        notBefore: new Date(this.clock.now().getTime() + 30_000 * 2 ** attempts),
        error,
        ...(claimed ? {} : { attempts }),
        ...rest,
      },
    });
    this.log.warn("outbox.send_failed", { id: row.id, definite, retry, ...(o.sealed ? { sealed: true } : { error }), ...(delivered ? { partsSent: delivered } : {}) });
  }
}

/** `p`, or "slow" once `ms` have passed without it settling. */
function orSlow<T>(p: Promise<T>, ms: number): Promise<T | "slow"> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<"slow">((r) => {
    timer = setTimeout(() => r("slow"), ms);
    timer.unref?.();
  });
  return Promise.race([p, slow]).finally(() => clearTimeout(timer));
}

/** A row's rate-window keys, per channel: the recipient's id, and its stand-in for sealed rows. */
function windowKeys(o: Opened): { plain: string; tag: string } {
  return { plain: `${o.ch.name}|${o.target.kind}:${o.target.id}`, tag: `${o.ch.name}|${targetTag(o.target.kind, o.target.id)}` };
}
