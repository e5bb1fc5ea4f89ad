// Text hygiene shared by the parser and the sender.

/** Zero-width characters, bidi overrides and C0/C1 controls (except \n and \t) are removed. */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069\u00ad]/g;

export function sanitize(text: string): string {
  return text.normalize("NFC").replace(/\r\n?/g, "\n").replace(INVISIBLE, "");
}

/** Width-fold a token for matching command words, keys and markers (／ → /, ＃ → #, ：→ :, full-width digits). */
export function fold(token: string): string {
  return token.normalize("NFKC");
}

export const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");

/**
 * Split text into chunks of at most `maxBytes` UTF-8 bytes, on line boundaries where possible.
 * A single line longer than the limit is cut between code points (never inside a surrogate pair).
 * `maxBytes` may be a function of the chunk's index: what the transport adds to a chunk (an `@name`
 * prefix per mention) is taken off that chunk's budget. A budget under 1 byte counts as 1 (no chunk is
 * empty), and chunk `i` never holds more than `budget(i)` bytes otherwise.
 */
export function splitByBytes(text: string, maxBytes: number | ((index: number) => number)): string[] {
  const budget = (i: number) => Math.max(1, typeof maxBytes === "number" ? maxBytes : maxBytes(i));
  if (utf8Bytes(text) <= budget(0)) return [text];
  const chunks: string[] = [];
  let cur = "";
  const push = () => {
    if (cur.length) chunks.push(cur);
    cur = "";
  };
  for (const line of text.split("\n")) {
    const candidate = cur.length ? cur + "\n" + line : line;
    if (utf8Bytes(candidate) <= budget(chunks.length)) {
      cur = candidate;
      continue;
    }
    push();
    if (utf8Bytes(line) <= budget(chunks.length)) {
      cur = line;
      continue;
    }
    let piece = "";
    let pieceBytes = 0;
    for (const ch of line) {
      const b = utf8Bytes(ch);
      if (piece.length && pieceBytes + b > budget(chunks.length)) {
        chunks.push(piece);
        piece = "";
        pieceBytes = 0;
      }
      piece += ch;
      pieceBytes += b;
    }
    cur = piece;
  }
  push();
  return chunks;
}

/** Shorten for display in one line. */
export function clip(s: string, max = 40): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join("") + "…";
}
