// Markdown for the WeCom 智能机器人: everything the aibot sends is markdown (a stream reply or a proactive
// `markdown` message), and Duban's texts are plain text that carries what users typed (titles, names,
// notes). SPEC §7: nothing is built by pasting user text into markup without escaping — so the whole
// text is escaped here, and the only markup the channel adds itself is the `<@userid>` mention prefix.

/** The platform's limit for one markdown content (stream reply or proactive markdown): UTF-8 bytes.
 * @wecom/aibot-node-sdk 1.0.7 dist/types/api.d.ts:84 ("最长不超过 20480 个字节，必须是 utf8 编码"). */
export const MARKDOWN_MAX_BYTES = 20_480;

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, "utf8");

// CommonMark backslash-escapes ASCII punctuation. Escaped everywhere: the inline markers (emphasis,
// code, links/images, autolinks and HTML — and with `<` WeCom's `<@userid>` mention and `<font>` tags —,
// strikethrough, tables, entities, and the escape character itself).
const INLINE = /[\\`*_[\]<>~|&]/g;
// Escaped only where they start a block (after up to three spaces): headings, lists, setext underlines.
const LINE_START = /^( {0,3})([#+=-])/;
const ORDERED = /^( {0,3})(\d{1,9})([.)])/;

/** One line of plain text → markdown that renders as that text. */
function escapeLine(line: string): string {
  return line.replace(INLINE, (c) => "\\" + c).replace(LINE_START, "$1\\$2").replace(ORDERED, "$1$2\\$3");
}

/** Plain text (user text included) → markdown that shows exactly that text; line breaks are kept. */
export function escapeMarkdown(text: string): string {
  return text.split("\n").map(escapeLine).join("\n");
}

/** What the channel puts before the text for these mentions (group chats only): `<@userid> ` each.
 * Ids that could break out of the tag are dropped (a chat id never contains `>`, `<` or spaces). */
export function mentionPrefix(mentions: string[]): string {
  return mentions
    .filter((id) => /^[^\s<>]+$/.test(id))
    .map((id) => `<@${id}> `)
    .join("");
}

/**
 * Escape `text` and cut it into markdown contents of at most `maxBytes` UTF-8 bytes each, the first one
 * starting with `prefix` (the mentions). Cuts fall on line boundaries; a single line longer than a whole
 * message is cut between characters (never inside an escape). The outbox already splits the plain text
 * under `limits.maxBytes`; this catches what escaping adds (at most one byte per escaped character).
 */
export function toMarkdownParts(text: string, prefix = "", maxBytes = MARKDOWN_MAX_BYTES): string[] {
  const parts: string[] = [];
  let cur = prefix;
  let curHasLine = false;
  const room = () => maxBytes - utf8Bytes(cur) - (curHasLine ? 1 : 0);
  const push = (escaped: string) => {
    cur += (curHasLine ? "\n" : "") + escaped;
    curHasLine = true;
  };
  const flush = () => {
    if (curHasLine || cur) parts.push(cur);
    cur = "";
    curHasLine = false;
  };
  for (const line of text.split("\n")) {
    const esc = escapeLine(line);
    if (utf8Bytes(esc) <= room()) {
      push(esc);
      continue;
    }
    if (curHasLine) flush();
    if (utf8Bytes(esc) <= room()) {
      push(esc);
      continue;
    }
    // one line longer than a message: cut between characters (escaping each piece as its own line)
    let piece = "";
    for (const ch of line) {
      if (utf8Bytes(escapeLine(piece + ch)) > room() && piece) {
        push(escapeLine(piece));
        flush();
        piece = "";
      }
      piece += ch;
    }
    if (piece) push(escapeLine(piece));
  }
  flush();
  return parts.length ? parts : [prefix];
}
