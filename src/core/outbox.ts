// The one way out. Handlers and jobs only write rows here, inside their transaction; the sender
// (src/core/sender.ts) is the only code that talks to a transport.
import type { Tx } from "../db/client.ts";

export type Target = { kind: "room"; id: string } | { kind: "contact"; id: string };

export interface Outgoing {
  target: Target;
  text?: string;
  file?: string;
  /** member ids to @-mention (groups only) */
  mentions?: string[];
  /** for scheduled sends: (target, kind, period); a second row with the same key is never written */
  dispatchKey?: string;
  /** delete the row once sent (the anonymous reporter's reply) */
  ephemeral?: boolean;
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

/** Prisma's text form of a DateTime in SQLite (what its own queries compare against). */
export const dbTime = (d: Date) => d.toISOString().replace("Z", "+00:00");

const COLS = ["targetKind", "targetId", "text", "filePath", "mentions", "dispatchKey", "ephemeral", "status", "notBefore", "createdAt"] as const;
const PER_STATEMENT = Math.floor(999 / COLS.length);

/**
 * Queue messages: the only writer of outbox rows (a command's replies, a job's thousands of reminders).
 * Plain multi-row INSERTs in the caller's transaction, bypassing the query compiler that createMany would
 * run over every row. A row's dispatch key is unique, so a (target, kind, period) is never queued twice.
 */
export async function insertOutgoing(tx: Tx, rows: Outgoing[], now: Date): Promise<void> {
  const t = dbTime(now);
  for (let i = 0; i < rows.length; i += PER_STATEMENT) {
    const chunk = rows.slice(i, i + PER_STATEMENT);
    const values: unknown[] = [];
    for (const o of chunk)
      values.push(o.target.kind, o.target.id, o.text ?? null, o.file ?? null, JSON.stringify(o.target.kind === "room" ? (o.mentions ?? []) : []), o.dispatchKey ?? null, o.ephemeral ? 1 : 0, "pending", t, t);
    const sql = `INSERT INTO "Outbox" (${COLS.map((c) => `"${c}"`).join(", ")}) VALUES ${chunk.map(() => `(${COLS.map(() => "?").join(", ")})`).join(", ")}`;
    await tx.$executeRawUnsafe(sql, ...values);
  }
}
