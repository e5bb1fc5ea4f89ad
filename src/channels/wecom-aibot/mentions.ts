// Group messages reach the 智能机器人 only when it is @-mentioned, and the callback carries no mention ids
// (the body has msgid, chatid, chattype, from.userid and text.content only — @wecom/aibot-node-sdk 1.0.7
// dist/types/message.d.ts:86-107). So `@姓名` in the text is resolved against Duban's roster.

const AT = /[@＠]([^\s\u2005\u3000@＠]+)/gu;

/**
 * The people `@姓名` names in `text`, resolved by `resolve(name) → chat id`. A name glued to the following
 * words (`@张三请处理`) is found by trying the longest prefix that resolves. `skip` names (the bot's own)
 * are not looked up. Each id appears once, in text order.
 */
export function resolveMentions(
  text: string,
  resolve: ((name: string) => string | undefined) | undefined,
  skip: string[] = [],
): { id: string; name: string }[] {
  if (!resolve) return [];
  const out: { id: string; name: string }[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(AT)) {
    const chars = [...m[1]];
    for (let n = chars.length; n >= 1; n--) {
      const name = chars.slice(0, n).join("");
      if (skip.includes(name)) break;
      const id = resolve(name);
      if (id) {
        if (!seen.has(id)) out.push({ id, name });
        seen.add(id);
        break;
      }
    }
  }
  return out;
}
