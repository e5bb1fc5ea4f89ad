// The one way out. Handlers and jobs only write rows here, inside their transaction; the sender
// (src/core/sender.ts) is the only code that talks to a transport.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import type { Tx } from "../db/client.ts";
import { join, raw, sql } from "../db/sql.ts";

import type { Target } from "./ports.ts";
export type { Target };

export interface Outgoing {
  target: Target;
  text?: string;
  file?: string;
  /** member ids to @-mention (groups only) */
  mentions?: string[];
  /** for scheduled sends: (target, kind, period); a second row with the same key is never written */
  dispatchKey?: string;
  /**
   * the anonymous reporter's reply (and anything else that must leave no trace): the row is written
   * sealed (see seal()) and deleted once sent
   */
  ephemeral?: boolean;
  /**
   * the direct answer to the sender of the command being handled (its reply, refusal, failure notice,
   * evidence ack): the only thing quiet hours do not hold back
   */
  direct?: boolean;
  /**
   * the inbound message this row answers (its channel, bot account and reply handle): the sender sends
   * it back the way it came when that channel can reach the target. Scheduled rows have none.
   */
  via?: Via;
}

/** Where an answer came from (ports.ts Inbound). */
export interface Via {
  channel?: string;
  account?: string;
  replyHandle?: string;
}

/** Messages a command queues while it runs, written in one statement before its transaction commits. */
export class OutboxBatch {
  private rows: Outgoing[] = [];
  constructor(
    private readonly tx: Tx,
    private readonly now: Date,
  ) {}
  add(o: Outgoing): void {
    this.rows.push(o);
  }
  async flush(): Promise<void> {
    await insertOutgoing(this.tx, this.rows, this.now);
    this.rows = [];
  }
}

const COLS = ["targetKind", "targetId", "text", "filePath", "mentions", "dispatchKey", "ephemeral", "sealed", "direct", "status", "notBefore", "createdAt", "channel", "account", "replyHandle"] as const;
const PER_STATEMENT = Math.floor(999 / COLS.length);

/**
 * Queue messages: the only writer of outbox rows (a command's replies, a job's thousands of reminders).
 * Plain multi-row INSERTs in the caller's transaction, bypassing the query compiler that createMany would
 * run over every row. A row's dispatch key is unique, so a (target, kind, period) is never queued twice.
 * An ephemeral row is written sealed: nothing of its recipient or its words is stored in the clear.
 */
export async function insertOutgoing(tx: Tx, rows: Outgoing[], now: Date): Promise<void> {
  const cols = raw(COLS.map((c) => `"${c}"`).join(", "));
  for (let i = 0; i < rows.length; i += PER_STATEMENT) {
    const chunk = rows.slice(i, i + PER_STATEMENT);
    const values = chunk.map((o) => {
      const mentions = o.target.kind === "room" ? (o.mentions ?? []) : [];
      // (a sealed row keeps no reply handle: it would name the reporter's message in the clear)
      const via = [o.via?.channel ?? null, o.via?.account ?? null, o.ephemeral ? null : (o.via?.replyHandle ?? null)];
      if (o.ephemeral) {
        const s = seal({ id: o.target.id, text: o.text ?? null, file: o.file ?? null, mentions });
        return sql`(${join([o.target.kind, s.targetId, s.text, null, "[]", o.dispatchKey ?? null, true, true, !!o.direct, "pending", now, now, ...via])})`;
      }
      return sql`(${join([o.target.kind, o.target.id, o.text ?? null, o.file ?? null, JSON.stringify(mentions), o.dispatchKey ?? null, false, false, !!o.direct, "pending", now, now, ...via])})`;
    });
    await tx.$executeRaw`INSERT INTO "Outbox" (${cols}) VALUES ${join(values)}`;
  }
}

// ---- Sealed rows (crypto-shredding) -------------------------------------------------------------
// An ephemeral row's recipient, text, file and mentions are encrypted (AES-256-GCM) with a random key
// per row that exists only in this process's memory. Its stored targetId is `sealed:<instance>`, its
// text `<tag>.<iv|auth tag|ciphertext, base64>`. Once the row is sent, it is deleted and its key dropped:
// whatever copy of the row survives — a WAL frame kept by another connection's read snapshot, a dead row
// on PostgreSQL until VACUUM, a backup — is ciphertext whose key no longer exists anywhere.

/** This process, as the writer of sealed rows (random per start: a restarted process is another one). */
export const INSTANCE = randomBytes(8).toString("hex");
/** The targetId of the sealed rows this process wrote. */
export const SEALED_TARGET = `sealed:${INSTANCE}`;

const sealKeys = new Map<string, Buffer>();
/** Keys target tags (see targetTag); dies with the process like the row keys. */
const tagKey = randomBytes(32);

export interface Sealed {
  /** recipient id */
  id: string;
  text: string | null;
  file: string | null;
  mentions: string[];
}

export function seal(p: Sealed): { targetId: string; text: string } {
  const tag = randomBytes(12).toString("base64url");
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(tag));
  const body = Buffer.concat([c.update(JSON.stringify(p), "utf8"), c.final()]);
  sealKeys.set(tag, key);
  return { targetId: SEALED_TARGET, text: `${tag}.${Buffer.concat([iv, c.getAuthTag(), body]).toString("base64")}` };
}

/** The row tag of a sealed row's text. */
export function sealTag(text: string | null): string {
  return (text ?? "").split(".", 1)[0];
}

/** A sealed row's contents, or null when this process does not hold its key. */
export function unseal(text: string | null): Sealed | null {
  const tag = sealTag(text);
  const key = sealKeys.get(tag);
  if (!key) return null;
  const raw = Buffer.from((text ?? "").slice(tag.length + 1), "base64");
  const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
  d.setAAD(Buffer.from(tag));
  d.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8")) as Sealed;
}

/** Drop a sealed row's key: whatever copy of the row remains is unreadable from now on. */
export function shred(text: string | null): void {
  sealKeys.delete(sealTag(text));
}

/** Does this process hold the key of that sealed row? */
export function holdsKey(text: string | null): boolean {
  return sealKeys.has(sealTag(text));
}

/**
 * A stand-in for a recipient id where a sealed row's recipient must not be written (the send log):
 * stable within this process, meaningless once it ends.
 */
export function targetTag(kind: string, id: string): string {
  return "tag:" + createHmac("sha256", tagKey).update(`${kind}:${id}`).digest("base64url").slice(0, 22);
}
