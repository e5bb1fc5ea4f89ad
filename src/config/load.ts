// Load duban.yaml. The file is edited by a township clerk, not a programmer: every problem comes back
// as one Chinese sentence with its line number, in words the clerk knows (第 4 个单位（西村）的 leader,
// not units[3].leader), saying what was found and what was probably meant. One mistake gives one
// message: YAML slips (中文冒号, Tab, "-name", unclosed "{") are recognised from the raw text and
// reported instead of the parser's knock-on errors, and schema problems that only follow from another
// (a missing key that a misspelt one stands for, phase order after a bad date) are not repeated.
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, type Node, type YAMLError } from "yaml";
import type { z } from "zod";
import { configSchema, keysAt, nearest, type Config } from "./schema.ts";

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`配置文件 ${file} 有误，机器人未启动：\n` + problems.map((p) => "  - " + p).join("\n"));
    this.name = "ConfigError";
  }
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(file, [`找不到或无法读取配置文件 ${file}`]);
  }
  return parseConfig(text, file);
}

type Path = (string | number)[];
type Problem = { line: number; text: string };
const sorted = (ps: Problem[]) => ps.sort((a, b) => a.line - b.line).map((p) => p.text);

export function parseConfig(text: string, file = "duban.yaml"): Config {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const syntax = syntaxProblems(text, doc.errors, lc);
  if (syntax.length) throw new ConfigError(file, sorted(syntax));
  const raw = doc.toJS();
  if (raw === null || raw === undefined) throw new ConfigError(file, ["配置文件是空的，请参照 examples/duban.example.yaml 填写"]);
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new ConfigError(file, ["配置文件应由「名称: 值」的若干行组成（第一行如 org: XX镇），现在不是这样，请参照 examples/duban.example.yaml 填写"]);
  const parsed = configSchema.safeParse(raw, { error: chinese });
  if (parsed.success) return parsed.data;
  throw new ConfigError(file, sorted(schemaProblems(parsed.error.issues, doc, lc, raw)));
}

// ───────────────────────── YAML syntax, from the raw text ─────────────────────────

/** every key the file may use anywhere (a `key:` without its space is recognised only for these) */
const ALL_KEYS = (() => {
  const all = new Set<string>();
  const walk = (path: Path) => {
    for (const k of keysAt(path) ?? []) {
      all.add(k);
      if (keysAt([...path, k])) walk([...path, k]);
      if (keysAt([...path, k, 0])) walk([...path, k, 0]);
    }
  };
  walk([]);
  return all;
})();

/**
 * A line with the insides of quotes blanked and any comment cut off (same length, same columns), so the
 * checks below see only the YAML structure. `comment` is where a comment starts, or -1.
 */
function structure(line: string): { code: string; comment: number } {
  let out = "";
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      out += ch === quote ? ch : " ";
      if (ch === quote) quote = "";
    } else if (ch === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      return { code: out + " ".repeat(line.length - i), comment: i };
    } else {
      // a quote opens a quoted value only where a value starts
      if ((ch === '"' || ch === "'") && /(^|[\s:,[{-])$/.test(line.slice(0, i).replace(/\s+$/, " ").slice(-1) || "")) quote = ch;
      out += ch;
    }
  }
  return { code: out, comment: -1 };
}

const shown = (line: string) => `这一行现在是「${line.trim()}」`;
const fixed = (line: string) => `，应写成「${line.trim()}」`;
const CLOSER: Record<string, string> = { "{": "}", "[": "]" };

function syntaxProblems(text: string, errors: YAMLError[], lc: LineCounter): Problem[] {
  const lines = text.split(/\r?\n/);
  const found = new Map<number, string>(); // one message a line: the first cause found
  const say = (line: number, msg: string) => {
    if (!found.has(line)) found.set(line, `第 ${line} 行：${msg}`);
  };
  const keys = [...ALL_KEYS].join("|");
  lines.forEach((line, i) => {
    const n = i + 1;
    const { code } = structure(line);
    const indent = /^[ \t\u3000]*/.exec(line)![0];
    if (indent.includes("\t")) say(n, `行首用了 Tab 键缩进，YAML 只能用空格缩进，请把 Tab 换成空格（每一层两个空格）。${shown(line)}`);
    else if (indent.includes("\u3000")) say(n, `行首用了全角空格「　」，请换成半角空格（切换到英文输入法再按空格）。${shown(line)}`);
    // org：XX镇, { name： 东村 }: an English key followed by a full-width colon
    if (/(^|[{,]|-\s|^\s+)\s*([A-Za-z][A-Za-z0-9_]*)\s*：/.test(code)) {
      const repaired = line.replace(/([A-Za-z][A-Za-z0-9_]*)\s*：\s*/g, (m, k: string, at: number) => (code.slice(at, at + m.length).includes("：") ? `${k}: ` : m));
      say(n, `用了中文冒号「：」，应改为英文冒号「:」后加空格。${shown(line)}${fixed(repaired)}`);
    }
    // -name: 东村
    const dash = /^(\s*)-(?=[^\s-])/.exec(code);
    if (dash && !/^\s*-\d/.test(code)) say(n, `「-」后面少了一个空格。${shown(line)}${fixed(line.replace(/^(\s*)-/, "$1- "))}`);
    // org:XX镇, { name:东村 }
    const tight = new RegExp(`(^\\s*|^\\s*-\\s+|[{,]\\s*)(${keys}):(?=[^\\s/:])`, "g");
    const tightHits = [...code.matchAll(tight)];
    if (tightHits.length) {
      let repaired = line;
      for (const h of tightHits.reverse()) {
        const at = h.index! + h[0].length;
        repaired = repaired.slice(0, at) + " " + repaired.slice(at);
      }
      say(n, `「${tightHits[tightHits.length - 1][2]}:」的冒号后面少了一个空格。${shown(line)}${fixed(repaired)}`);
    }
    // { name: 东村， kind: 村 }
    if (/[{[][^}\]]*，\s*[A-Za-z][A-Za-z0-9_]*\s*[:：]/.test(code))
      say(n, `用了中文逗号「，」分隔，应改为英文逗号「,」。${shown(line)}${fixed(line.replace(/，(\s*)(?=[A-Za-z][A-Za-z0-9_]*\s*[:：])/g, ", "))}`);
  });
  if (!errors.length) return [...found].map(([line, text]) => ({ line, text }));

  // the parser failed: brackets that do not pair, a # or ": " inside a value that needs quotes
  const stack: { ch: string; line: number; col: number }[] = [];
  const unclosed = (o: { ch: string; line: number; col: number }) => {
    const line = lines[o.line - 1];
    const { comment } = structure(line);
    const cut = comment >= 0 ? line.slice(comment) : "";
    if (comment >= 0 && cut.includes(CLOSER[o.ch])) {
      // { name: 东村 #1, kind: 村 } — the # starts a comment and takes the } with it
      const before = line.slice(0, comment);
      const start = Math.max(before.lastIndexOf(": ") + 2, before.lastIndexOf(",") + 1, before.lastIndexOf("[") + 1, before.lastIndexOf("{") + 1);
      const endRel = cut.search(/[,}\]]/);
      const end = endRel < 0 ? line.length : comment + endRel;
      const value = line.slice(start, end).trim();
      const repaired = line.slice(0, start) + (line[start] === " " ? " " : "") + `"${value}"` + line.slice(end);
      say(o.line, `「#」前面有空格，# 和它后面的字都被当成了注释，所以第 ${o.col} 个字符的「${o.ch}」找不到配对的「${CLOSER[o.ch]}」。如果 # 是内容的一部分，请给这个值加上英文引号。${shown(line)}${fixed(repaired)}`);
    } else say(o.line, `第 ${o.col} 个字符的「${o.ch}」没有配对的「${CLOSER[o.ch]}」，请在这一项末尾补上「${CLOSER[o.ch]}」。${shown(line)}`);
  };
  lines.forEach((line, i) => {
    const { code } = structure(line);
    for (let c = 0; c < code.length; c++) {
      const ch = code[c];
      if (ch === "{" || ch === "[") stack.push({ ch, line: i + 1, col: c + 1 });
      else if (ch === "}" || ch === "]") {
        const open = ch === "}" ? "{" : "[";
        if (stack.some((o) => o.ch === open)) {
          while (stack.length && stack[stack.length - 1].ch !== open) unclosed(stack.pop()!);
          stack.pop();
        } else say(i + 1, `第 ${c + 1} 个字符多了一个「${ch}」（前面没有和它配对的「${open}」）。${shown(line)}`);
      }
    }
  });
  for (const o of stack) unclosed(o);
  // name: 整顿: 第一阶段 — a value with ": " in it
  const errorLines = new Set(errors.map((e) => lc.linePos(e.pos[0]).line));
  lines.forEach((line, i) => {
    if (!errorLines.has(i + 1)) return;
    const { code } = structure(line);
    const m = /([A-Za-z][A-Za-z0-9_]*):\s+([^,{}[\]]*?:(\s[^,{}[\]]*|$))/.exec(code);
    if (!m) return;
    const start = m.index! + m[0].length - m[2].length;
    const value = line.slice(start, start + m[2].length).trimEnd();
    const repaired = line.slice(0, start) + `"${value}"` + line.slice(start + value.length);
    say(i + 1, `「${m[1]}」的值「${value}」里有英文冒号「:」，会被当成新的一项。请给这个值加上英文引号。${shown(line)}${fixed(repaired)}`);
  });
  // start: indented deeper than the line before, which already has its value
  let prev: { n: number; col: number; text: string } | undefined;
  lines.forEach((line, i) => {
    const { code } = structure(line);
    if (!code.trim()) return;
    if (/^[ ]*[\t\u3000]/.test(line)) return void (prev = undefined); // said above
    const entry = /^(\s*)(-\s+)?([A-Za-z][A-Za-z0-9_]*):(\s+\S)?/.exec(code);
    const indent = /^\s*/.exec(code)![0].length;
    if (entry && prev && indent > prev.col && !entry[2])
      say(i + 1, `这一行比上一行多缩进了 ${indent - prev.col} 个空格：上一行「${prev.text}」已经写了值，这一行应和它左边对齐。${shown(line)}`);
    prev = entry?.[4] ? { n: i + 1, col: entry[1].length + (entry[2]?.length ?? 0), text: line.trim() } : undefined;
  });
  // anything found above explains the parser's errors; otherwise say the parser's error in Chinese
  // (a key written twice is its own mistake, and the parser places it exactly)
  const explained = found.size > 0;
  for (const e of errors) {
    if (explained && e.code !== "DUPLICATE_KEY") continue;
    const { line, col } = lc.linePos(e.pos[0]);
    const text = lines[line - 1] ?? "";
    const key = /^[^\s:,{}[\]]+/.exec(text.slice(col - 1))?.[0] ?? "";
    say(line, `${YAML_ERRORS[e.code]?.(key) ?? "格式有误，请检查这一行的缩进、冒号和括号"}。${shown(text)}`);
  }
  return [...found].map(([line, text]) => ({ line, text }));
}

const YAML_ERRORS: Partial<Record<string, (key: string) => string>> = {
  DUPLICATE_KEY: (k) => `「${k}」写了两次，同一处每一项只能写一次`,
  BAD_INDENT: () => "缩进不对：行首的空格数和上下几行对不上（同一层的项要对齐，下一层多缩进两个空格）",
  MULTILINE_IMPLICIT_KEY: () => "这一行或上一行没有写成「名称: 值」的形式（冒号是英文冒号，后面要有空格）",
  IMPLICIT_KEY_FLOW_SEQUENCE: () => "这一行没有写成「名称: 值」的形式（冒号是英文冒号，后面要有空格）",
  BLOCK_AS_IMPLICIT_KEY: () => "这一行的写法看不懂：值里如果有冒号、逗号或括号，请给值加上英文引号",
  BLOCK_IN_FLOW: () => "这一行的写法看不懂：{ } 里各项之间用英文逗号分隔，值里如果有冒号请加英文引号",
  MISSING_CHAR: () => "缺少配对的括号或引号",
  UNEXPECTED_TOKEN: () => "有多余的或放错位置的符号",
  BAD_SCALAR_START: () => "值不能以这个符号开头，请给值加上英文引号",
  TAB_AS_INDENT: () => "行首用了 Tab 键缩进，请换成空格",
  MULTIPLE_DOCS: () => "文件里有「---」分隔的第二部分，配置只能有一部分",
};

// ───────────────────────── schema problems, in the clerk's words ─────────────────────────

const TYPE_WORDS: Record<string, string> = {
  string: "应填文字",
  number: "应填数字",
  int: "应填整数",
  boolean: "应填 true 或 false",
  array: "应写成列表",
  tuple: "应写成列表",
  object: "应写成「名称: 值」的形式",
};
/** zod's own messages, in Chinese (the schema's messages, where it has them, come first) */
const chinese = (iss: z.core.$ZodRawIssue): string | undefined => {
  const i = iss as any;
  switch (iss.code) {
    case "invalid_type":
      return TYPE_WORDS[i.expected] ?? "填写的类型不对";
    case "too_small":
      return i.origin === "number" ? `不能小于 ${i.minimum}` : i.origin === "string" ? "不能为空" : `至少要写 ${i.minimum} 项`;
    case "too_big":
      return i.origin === "number" ? `不能大于 ${i.maximum}` : i.origin === "string" ? `不能超过 ${i.maximum} 个字` : `最多只能写 ${i.maximum} 项`;
    case "not_multiple_of":
      return "应填整数";
    default:
      return "填写有误";
  }
};

/** what a value is, in words: for "应填文字，这里写的是一个列表" */
function what(v: unknown): string {
  if (v === null) return "这里没有填内容";
  if (Array.isArray(v)) return "这里写成了列表（[…] 或「- 」开头的几行）";
  if (typeof v === "object") return "这里写成了「名称: 值」的形式（{…} 或下一层缩进的几行）";
  if (typeof v === "number") return `这里写的是数字 ${v}`;
  if (typeof v === "boolean") return `这里写的是 ${v}`;
  return `这里写的是「${String(v)}」`;
}

/** what to write for a missing key that the schema's message does not show */
const MISSING: Record<string, string> = {
  org: "应写本镇（乡）名称，如 org: XX镇",
  campaign: "应写整顿活动的名称、起止日期和问题类别（参照 examples/duban.example.yaml）",
  units: "应列出各村（社区）和镇部门",
  members: "应列出参加督办的人员",
  categories: "应列出问题类别，如 - { code: 八项规定, name: 违反中央八项规定精神 }",
  name: "应填名称",
  kind: "应为 村、社区 或 部门",
  id: "应填此人的聊天账号 id",
};

/** what the items of a list are called, and the key that names one */
const LISTS: Record<string, { noun: string; by: string[] }> = {
  units: { noun: "单位", by: ["name"] },
  members: { noun: "成员", by: ["name", "id"] },
  rooms: { noun: "群", by: ["name"] },
  phases: { noun: "阶段", by: ["name"] },
  categories: { noun: "问题类别", by: ["code", "name"] },
};
/** the nouns for a value chosen from a list (for "没有「书记」这个角色") */
const CHOICES: Record<string, string> = { roles: "角色", kind: "单位类型" };
/** common words for a role that are not one */
const ROLE_WORDS: Record<string, string> = {
  书记: "领导", 镇长: "领导", 副镇长: "领导", 乡长: "领导", 分管领导: "领导", 纪委书记: "领导", 主任: "负责人", 村支书: "负责人",
  所长: "负责人", 站长: "负责人", 单位负责人: "负责人", 督办: "督办员", 督查员: "督办员", 督导员: "督办员", 工作人员: "干部", 成员: "干部", 职工: "干部",
};
const KIND_WORDS: Record<string, string> = { 村委会: "村", 行政村: "村", 居委会: "社区", 街道: "社区", 站所: "部门", 科室: "部门", 镇部门: "部门" };

/** `第 4 个单位（西村）的 leader`: where a path is, in words; a list of plain values is named by its key only */
function where(path: Path, raw: unknown): string {
  const parts: string[] = [];
  let v: any = raw;
  for (let k = 0; k < path.length; k++) {
    const p = path[k];
    const next = path[k + 1];
    if (typeof p === "string" && typeof next === "number" && LISTS[p] && !(p === "rooms" && k > 0)) {
      const item = v?.[p]?.[next];
      const by = item && typeof item === "object" ? LISTS[p].by.map((b) => item[b]).find((x) => typeof x === "string" && x.trim()) : undefined;
      const label = by !== undefined ? `（${by}）` : "";
      parts.length = 0; // 第 2 个阶段 says enough without "campaign 的"
      parts.push(`第 ${next + 1} 个${LISTS[p].noun}${label}`);
      v = item;
      k++;
    } else if (typeof p === "string") {
      parts.push(p);
      v = v?.[p];
    } else v = v?.[p]; // an item of a list of plain values: the message names the value
  }
  // 第 4 个单位（西村）的 leader, campaign 的 start
  if (!parts.length) return "";
  return parts.reduce((a, b) => a + (/[A-Za-z0-9]$/.test(a) ? " 的 " : "的 ") + b) || "配置文件";
}

function valueAt(raw: unknown, path: Path): unknown {
  let v: any = raw;
  for (const p of path) v = v?.[p];
  return v;
}

/** the line of a path: of its key, or of the list item */
function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: Path): number | undefined {
  let node: unknown = doc.contents;
  let at: number | undefined = (node as Node | null)?.range?.[0];
  for (const p of path) {
    if (isMap(node)) {
      const pair = node.items.find((x) => isPair(x) && isScalar(x.key) && String(x.key.value) === String(p));
      if (!pair) break;
      at = (pair.key as Node).range?.[0] ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof p === "number" && node.items[p]) {
      node = node.items[p];
      at = (node as Node).range?.[0] ?? at;
    } else break;
  }
  return at === undefined ? undefined : lc.linePos(at).line;
}

function schemaProblems(issues: z.core.$ZodIssue[], doc: ReturnType<typeof parseDocument>, lc: LineCounter, raw: unknown): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  /** keys a misspelt key stands for: the "missing" error for them is the same mistake */
  const meant = new Set<string>();
  /** a problem of `path`, said at the line of `at`, placed in words by `place` */
  const add = (path: Path, at: Path, msg: string, place = path) => {
    const id = JSON.stringify(path);
    if (seen.has(id)) return;
    seen.add(id);
    const line = at.length ? lineOf(doc, lc, at) : undefined;
    const words = where(place, raw);
    const head = line ? (words ? `第 ${line} 行，${words}：` : `第 ${line} 行：`) : words ? `${words}：` : "";
    out.push({ line: line ?? 0, text: head + msg });
  };
  // unknown keys first: they decide which "missing" errors are only their echo
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const path = issue.path as Path;
    const allowed = keysAt(path) ?? [];
    const here = valueAt(raw, path) as Record<string, unknown>;
    for (const key of issue.keys) {
      const near = nearest(key, allowed.filter((k) => !(k in here)).concat(allowed.filter((k) => k in here)));
      let msg: string;
      if (near && near.toLowerCase() === key.normalize("NFKC").trim().toLowerCase())
        msg = `「${key}」写得不对，应写 ${near}（${/[Ａ-Ｚａ-ｚ]/.test(key) ? "用了全角字母，请切换到英文输入法重写" : "大小写要一致"}）`;
      else if (near) msg = `没有「${key}」这一项，你是不是想写 ${near}？`;
      else {
        const elsewhere = placeOf(key);
        msg = elsewhere
          ? `「${key}」不能写在这里，它应写在 ${elsewhere} 下面（注意缩进）`
          : `没有「${key}」这一项（未知的配置项）；这里可以写的有：${allowed.join("、")}`;
      }
      if (near && !(near in here)) meant.add(JSON.stringify([...path, near]));
      add([...path, key], [...path, key], msg, path);
    }
  }
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") continue;
    const path = issue.path as Path;
    const value = valueAt(raw, path);
    const parent = path.slice(0, -1);
    const key = path[path.length - 1];
    if (value === undefined && typeof key === "string" && valueAt(raw, parent) !== undefined) {
      if (meant.has(JSON.stringify(path))) continue;
      const example = MISSING[key] ?? (issue.message.includes("如") ? issue.message : "");
      if (parent.length) add(parent, parent, `缺少 ${key}${example ? "，" + example : ""}`);
      else add(path, [], `配置文件缺少 ${key}${example ? "，" + example : ""}`, []);
      continue;
    }
    let msg = issue.message;
    if (issue.code === "invalid_value") {
      const name = typeof key === "number" ? path[path.length - 2] : key;
      const options = issue.values.map(String);
      const s = String(value);
      const near = nearest(s, options) ?? (name === "roles" ? ROLE_WORDS[s.trim()] : name === "kind" ? KIND_WORDS[s.trim()] : undefined);
      msg = `没有「${s}」这个${CHOICES[String(name)] ?? "选项"}${near ? `，你是不是想写 ${near}？` : "，"}可选的有：${options.join("、")}`;
    } else if (value === null || (typeof value !== "object" && !msg.includes(String(value)))) {
      // say what was found, unless the message already does
      msg += `，${what(value)}`;
      if (typeof value === "number" && issue.code === "invalid_type" && issue.expected === "string") msg += `；如果就是要填这个，请加上英文引号："${value}"`;
      if (issue.code === "invalid_type" && issue.expected === "array" && value !== null) msg += `，应写成 [${value}]`;
    } else if (issue.code === "invalid_type" && typeof value === "object") msg += `，${what(value)}`;
    add(path, path, msg);
  }
  return out;
}

/** where a key belongs, if it is allowed somewhere else in the file (`phases` → campaign) */
function placeOf(key: string): string | undefined {
  const found: string[] = [];
  const walk = (path: Path, label: string) => {
    for (const k of keysAt(path) ?? []) {
      if (k === key && path.length) found.push(label);
      if (keysAt([...path, k])) walk([...path, k], label ? `${label} 的 ${k}` : k);
      if (keysAt([...path, k, 0])) walk([...path, k, 0], LISTS[k] && !(k === "rooms" && path.length) ? `${label ? label + " 的 " : ""}${k} 的每一项` : k);
    }
  };
  walk([], "");
  if (keysAt([])!.includes(key)) found.unshift("最外层（不缩进）");
  return found.length === 1 ? found[0] : undefined;
}
