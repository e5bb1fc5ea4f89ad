// The 查询码 an anonymous reporter receives (/匿名上报) and types back (/匿名查询): 10 characters of
// Crockford's base32 (no I, L, O, U: nothing to misread), 50 random bits. Only its sha256 is stored.
import { createHash, randomInt } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const QUERY_CODE_LENGTH = 10;

let pick: (n: number) => number = (n) => randomInt(n);

/**
 * For the replay simulator only (SPEC §6: same input, same output, byte for byte): draw the code's
 * characters from `next` (a seeded generator returning an integer in [0, n)) instead of the system's
 * cryptographic randomness. Production never calls this.
 */
export function useQueryCodeSource(next: (n: number) => number): void {
  pick = next;
}

/** A new code, shown as `ABCDE-FGH12` (the dash is optional when typed). */
export function newQueryCode(): string {
  let s = "";
  for (let i = 0; i < QUERY_CODE_LENGTH; i++) s += ALPHABET[pick(ALPHABET.length)];
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/** What a person typed, as the code: width-folded, upper case, dashes and spaces dropped, O→0, I/L→1. */
export function normalizeQueryCode(typed: string): string | null {
  const s = typed
    .normalize("NFKC")
    .toUpperCase()
    .replace(/[\s\-_－—]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (s.length !== QUERY_CODE_LENGTH || [...s].some((c) => !ALPHABET.includes(c))) return null;
  return s;
}

/** The stored form: sha256 (hex) of the normalized code. */
export function hashQueryCode(code: string): string {
  const n = normalizeQueryCode(code);
  if (!n) throw new Error("not a query code");
  return createHash("sha256").update(n).digest("hex");
}
