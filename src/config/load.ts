// Load duban.yaml: YAML syntax errors and schema errors both come back as one Chinese message per
// problem, with the line number in the file — never a stack trace.
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Node } from "yaml";
import type { z } from "zod";
import { configSchema, type Config } from "./schema.ts";

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

export function parseConfig(text: string, file = "duban.yaml"): Config {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `第 ${lc.linePos(e.pos[0]).line} 行：YAML 格式错误（${e.code === "DUPLICATE_KEY" ? "键重复" : e.message.split("\n")[0]}）`),
    );
  }
  const raw = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(file, parsed.error.issues.map((i) => describe(i, doc, lc, raw)));
}

function describe(issue: z.core.$ZodIssue, doc: ReturnType<typeof parseDocument>, lc: LineCounter, raw: unknown): string {
  const path = issue.path as (string | number)[];
  let node = nodeAt(doc, path);
  let field = path.map((p) => (typeof p === "number" ? `[${p + 1}]` : "." + p)).join("").replace(/^\./, "") || "(根)";
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0];
    const map = node as any;
    const pair = isMap(map) ? map.items.find((p: any) => isPair(p) && isScalar(p.key) && String(p.key.value) === key) : undefined;
    if (pair) node = pair.key as Node;
    field = field === "(根)" ? key : `${field}.${key}`;
    message = `未知的配置项「${issue.keys.join("、")}」`;
  } else if (issue.code === "invalid_type" && valueAt(raw, path) === undefined) {
    message = "缺少此项";
  }
  const value = valueAt(raw, path);
  const shown = value !== undefined && typeof value !== "object" ? `（当前值：${String(value)}）` : "";
  const line = node?.range ? `第 ${lc.linePos(node.range[0]).line} 行，` : "";
  return `${line}${field}：${message}${shown}`;
}

function nodeAt(doc: ReturnType<typeof parseDocument>, path: (string | number)[]): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (node && typeof node === "object" && "range" in (node as object)) return node as Node;
  }
  return undefined;
}

function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let v: any = raw;
  for (const p of path) v = v?.[p];
  return v;
}
