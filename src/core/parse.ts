// From a message's text to a command word and its arguments. Knows no command by name.
import { fold, sanitize } from "./text.ts";

export interface ParsedArgs {
  /** #12 → 12 */
  refs: number[];
  /** #村务公开 → 村务公开 */
  tags: string[];
  /** @东村 / @张三 → 东村 / 张三 (as typed) */
  mentions: string[];
  /** 截止:3月20日 → { 截止: "3月20日" } (half- or full-width colon) */
  keys: Record<string, string>;
  /** everything else, in order */
  words: string[];
}

export interface ParsedCommand {
  word: string;
  args: ParsedArgs;
}

/** Keys whose value runs on over the following plain words (free text). */
const TEXT_KEYS = new Set(["措施", "计划", "意见", "原因"]);
/** Keys whose value is one token. */
const TOKEN_KEYS = new Set(["截止", "节点", "期限"]);
const KEY_RE = /^([\p{L}]{1,4})[:：](.*)$/u;

const SPACE = /[\s\u3000]+/u;

/**
 * A command is a message whose first non-blank character is / or ／, optionally after @-mentions of
 * the bot (`botNames`). Returns null for anything else: those messages are ignored silently.
 */
export function parseCommand(raw: string, botNames: string[] = []): ParsedCommand | null {
  let text = sanitize(raw).trim();
  // strip leading @bot mentions ("@督办助手 /上报 …")
  for (;;) {
    const m = /^[@＠](\S+?)(?:[\s\u2005\u3000]+|$)/u.exec(text);
    if (!m || !botNames.includes(m[1])) break;
    text = text.slice(m[0].length).trimStart();
  }
  if (!/^[/／]/.test(text)) return null;
  const tokens = text.slice(1).split(SPACE).filter(Boolean);
  const word = fold(tokens.shift() ?? "");
  if (!word) return null;
  return { word, args: parseArgs(tokens) };
}

/**
 * Not a command, but meant for the bot: it @-mentions the bot, or is only a "/" (someone who began a
 * command and did not know how to go on). Such a message gets a one-line pointer to /帮助.
 */
export function addressesBot(raw: string, botNames: string[], mentionedBot: boolean): boolean {
  const text = sanitize(raw).trim();
  if (/^[/／]\s*$/.test(text)) return true;
  return mentionedBot || botNames.some((n) => n && (text.includes("@" + n) || text.includes("＠" + n)));
}

export function parseArgs(tokens: string[]): ParsedArgs {
  const out: ParsedArgs = { refs: [], tags: [], mentions: [], keys: {}, words: [] };
  let textKey: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const f = fold(tok);
    if (/^#\d+$/.test(f)) {
      out.refs.push(Number(f.slice(1)));
      textKey = null;
      continue;
    }
    if (/^#.+/.test(f)) {
      out.tags.push(tok.slice(1));
      textKey = null;
      continue;
    }
    if (/^@.+/.test(f)) {
      out.mentions.push(tok.slice(1));
      textKey = null;
      continue;
    }
    const km = KEY_RE.exec(tok);
    if (km) {
      const key = km[1];
      if (TEXT_KEYS.has(key) || TOKEN_KEYS.has(key)) {
        let value = km[2];
        if (!value && i + 1 < tokens.length) value = tokens[++i];
        out.keys[key] = value;
        textKey = TEXT_KEYS.has(key) ? key : null;
        continue;
      }
    }
    if (textKey) out.keys[textKey] += " " + tok;
    else out.words.push(tok);
  }
  return out;
}
