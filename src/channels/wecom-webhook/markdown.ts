// User text inside WeCom markdown (SPEC §7: nothing the bot says pastes user text into markup unescaped).
//
// WeCom's markdown (群机器人 and 应用消息) is a small subset — headings `#`, bold `**`, links `[t](u)`,
// inline code `` ` ``, quotes `>`, `<font color="info|comment|warning">`, and on the 群机器人 `<@userid>`
// mentions — and its renderer is not documented closely enough to trust backslash escapes (a `\*` may show
// as `\*`). So instead of escaping, every character that could start markup is replaced by its full-width
// twin, which no renderer reads as markup and which a Chinese reader sees as ordinary punctuation:
//   \ * _ ` [ ] ( ) < > # ~ | & !   →   ＼ ＊ ＿ ｀ ［ ］ （ ） ＜ ＞ ＃ ～ ｜ ＆ ！
// and at the start of a line (list items, setext headings, ordered lists, indented code):
//   - + =  →  － ＋ ＝,   `12.` / `12)` → `12．` / `12）`,   leading spaces/tabs → no-break spaces.
// Controls (but the line feed), zero-width and bidi-override characters are dropped; CR LF becomes LF.
// Each replaced ASCII character grows from 1 to 3 UTF-8 bytes: measure the result, not the input.
//
// Why it matters here: a user who can put `<@all>` into a markdown message notifies the whole group; a
// `<font color="warning">` or a `[链接](http://…)` can dress his words up as the office's.

const REPLACE: Record<string, string> = {
  "\\": "＼",
  "*": "＊",
  _: "＿",
  "`": "｀",
  "[": "［",
  "]": "］",
  "(": "（",
  ")": "）",
  "<": "＜",
  ">": "＞",
  "#": "＃",
  "~": "～",
  "|": "｜",
  "&": "＆",
  "!": "！",
};
const LINE_START: Record<string, string> = { "-": "－", "+": "＋", "=": "＝" };
// C0/C1 controls except \n, zero-width characters, bidi overrides and isolates, BOM, soft hyphen
const INVISIBLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** `text` as plain words inside WeCom markdown: shown as typed, never read as markup. */
export function escapeMarkdown(text: string): string {
  return String(text)
    .replace(/\r\n?/g, "\n")
    .replace(/\t/g, "    ")
    .replace(INVISIBLE, "")
    .replace(/[\\*_`[\]()<>#~|&!]/g, (c) => REPLACE[c])
    .split("\n")
    .map((line) =>
      line
        .replace(/^ +/, (s) => "\u00a0".repeat(s.length))
        .replace(/^(\u00a0*)([-+=])/, (_, sp: string, c: string) => sp + LINE_START[c])
        .replace(/^(\u00a0*\d+)\./, "$1．"),
    )
    .join("\n");
}

/**
 * A markdown template whose interpolated values are escaped: `md\`**${title}**\n> ${detail}\`` keeps the
 * template's own markup and shows `title` and `detail` as typed.
 */
export function md(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? escapeMarkdown(String(values[i])) : ""), "");
}
