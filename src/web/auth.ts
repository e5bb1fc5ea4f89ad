// Dashboard access (SPEC §3 /看板, §8 Web): a one-time link opens a session. Tokens and session ids are
// 256-bit random values; only their sha256 is stored, so a copy of the database opens nothing. A link is
// good once, for 10 minutes; a session for 8 hours, until logged out. Both live in the database: they
// survive a restart and every instance on the database knows them.
import { createHash, randomBytes } from "node:crypto";
import { WRITE_TX, type Db, type Tx } from "../db/client.ts";

export const LINK_TTL_MS = 10 * 60_000;
export const SESSION_TTL_MS = 8 * 3600_000;
export const SESSION_COOKIE = "duban_session";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
let bytes = (n: number): Buffer => randomBytes(n);
const token = () => bytes(32).toString("base64url");

/** The replay harness makes its links reproducible (SPEC §6: same input, same output); nothing else does. No argument: back to the system's randomness. */
export function useTokenSource(next: (n: number) => Buffer = (n) => randomBytes(n)): void {
  bytes = next;
}

/** The address put into /看板 links (SPEC §8): DUBAN_PUBLIC_URL, else http://<host>:<port>. */
export function webAddress(env: NodeJS.ProcessEnv = process.env): { host: string; port: number; publicUrl: string } {
  const host = env.DUBAN_WEB_HOST?.trim() || "127.0.0.1";
  const port = Number(env.DUBAN_WEB_PORT?.trim() || 7070);
  // listening on every address: links name this machine itself unless DUBAN_PUBLIC_URL says better
  const linkHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const publicUrl = (env.DUBAN_PUBLIC_URL?.trim() || `http://${linkHost.includes(":") ? `[${linkHost}]` : linkHost}:${port}`).replace(/\/+$/, "");
  return { host, port, publicUrl };
}

/** A new one-time link for `memberId` (in the command's transaction); returns the token to put in it. */
export async function issueLink(tx: Tx, memberId: string, now: Date): Promise<string> {
  const t = token();
  await tx.webToken.create({ data: { hash: sha256(t), memberId, createdAt: now, expiresAt: new Date(now.getTime() + LINK_TTL_MS) } });
  // expired links and ended sessions are of no use to anyone: gone with the next link issued
  await tx.webToken.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - LINK_TTL_MS) } } });
  await tx.webSession.deleteMany({ where: { expiresAt: { lt: now } } });
  return t;
}

export type Redeemed = { ok: true; session: string; memberId: string } | { ok: false; why: "unknown" | "used" | "expired" };

/** Use a link: once, unexpired. Opens a session; returns its cookie value. */
export async function redeemLink(db: Db, t: string, now: Date): Promise<Redeemed> {
  const hash = sha256(t);
  return db.$transaction(async (tx) => {
    const row = await tx.webToken.findUnique({ where: { hash } });
    if (!row) return { ok: false, why: "unknown" } as const;
    if (row.usedAt) return { ok: false, why: "used" } as const;
    if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, why: "expired" } as const;
    // marked used only if nobody else used it meanwhile (two instances, two clicks)
    const took = await tx.webToken.updateMany({ where: { hash, usedAt: null }, data: { usedAt: now } });
    if (took.count !== 1) return { ok: false, why: "used" } as const;
    const session = token();
    await tx.webSession.create({ data: { hash: sha256(session), memberId: row.memberId, createdAt: now, expiresAt: new Date(now.getTime() + SESSION_TTL_MS) } });
    return { ok: true, session, memberId: row.memberId } as const;
  }, WRITE_TX);
}

/** The member of a live session, or null. */
export async function sessionMember(db: Db, session: string | undefined, now: Date): Promise<string | null> {
  if (!session) return null;
  const row = await db.webSession.findUnique({ where: { hash: sha256(session) } });
  if (!row || row.revokedAt || row.expiresAt.getTime() <= now.getTime()) return null;
  return row.memberId;
}

export async function revokeSession(db: Db, session: string | undefined, now: Date): Promise<void> {
  if (!session) return;
  await db.webSession.updateMany({ where: { hash: sha256(session), revokedAt: null }, data: { revokedAt: now } });
}
