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

function row(o: Outgoing, now: Date) {
  return {
    targetKind: o.target.kind,
    targetId: o.target.id,
    text: o.text ?? null,
    filePath: o.file ?? null,
    mentions: JSON.stringify(o.target.kind === "room" ? (o.mentions ?? []) : []),
    dispatchKey: o.dispatchKey ?? null,
    ephemeral: o.ephemeral ?? false,
    notBefore: now,
    createdAt: now,
  };
}

/** Messages a command queues while it runs, written in one statement before its transaction commits. */
export class OutboxBatch {
  private rows: ReturnType<typeof row>[] = [];
  constructor(
    private readonly tx: Tx,
    private readonly now: Date,
  ) {}
  add(o: Outgoing): void {
    if (o.dispatchKey) throw new Error("scheduled sends with a dispatch key go through enqueue()");
    this.rows.push(row(o, this.now));
  }
  async flush(): Promise<void> {
    if (!this.rows.length) return;
    await this.tx.outbox.createMany({ data: this.rows });
    this.rows = [];
  }
}

/** Queue a message. Returns false when its dispatch key was already queued (sent once, ever). */
export async function enqueue(tx: Tx, o: Outgoing, now: Date): Promise<boolean> {
  const data = row(o, now);
  if (!o.dispatchKey) {
    await tx.outbox.create({ data });
    return true;
  }
  const exists = await tx.outbox.findUnique({ where: { dispatchKey: o.dispatchKey }, select: { id: true } });
  if (exists) return false;
  await tx.outbox.create({ data });
  return true;
}

/** Prisma's text form of a DateTime in SQLite (what its own queries compare against). */
export const dbTime = (d: Date) => d.toISOString().replace("Z", "+00:00");

const COLS = ["targetKind", "targetId", "text", "filePath", "mentions", "dispatchKey", "status", "notBefore", "createdAt"] as const;
const PER_STATEMENT = Math.floor(999 / COLS.length);

/**
 * Insert many scheduled messages at once (a reminder run writes thousands): plain multi-row INSERTs in
 * the caller's transaction, bypassing the query compiler that createMany would run over every row. Each
 * row keeps its unique dispatch key, so a run can never queue the same (target, kind, period) twice.
 */
export async function insertOutgoing(tx: Tx, rows: Outgoing[], now: Date): Promise<void> {
  const t = dbTime(now);
  for (let i = 0; i < rows.length; i += PER_STATEMENT) {
    const chunk = rows.slice(i, i + PER_STATEMENT);
    const values: unknown[] = [];
    for (const o of chunk)
      values.push(o.target.kind, o.target.id, o.text ?? null, o.file ?? null, JSON.stringify(o.target.kind === "room" ? (o.mentions ?? []) : []), o.dispatchKey ?? null, "pending", t, t);
    const sql = `INSERT INTO "Outbox" (${COLS.map((c) => `"${c}"`).join(", ")}) VALUES ${chunk.map(() => `(${COLS.map(() => "?").join(", ")})`).join(", ")}`;
    await tx.$executeRawUnsafe(sql, ...values);
  }
}
