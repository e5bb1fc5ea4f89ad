import { describe, expect, it } from "vitest";
import { parseCommand } from "../src/core/parse.ts";
import { sanitize, splitByBytes, utf8Bytes } from "../src/core/text.ts";

describe("parseCommand", () => {
  it("ignores messages that are not commands", () => {
    expect(parseCommand("大家好")).toBeNull();
    expect(parseCommand("  今天 /上报 不算")).toBeNull();
    expect(parseCommand("/")).toBeNull();
  });

  it("reads half- and full-width slash, spaces and colons", () => {
    const p = parseCommand("／交办　#12　@东村 @张三  截止：3月20日 措施:立即 更新公开栏")!;
    expect(p.word).toBe("交办");
    expect(p.args.refs).toEqual([12]);
    expect(p.args.mentions).toEqual(["东村", "张三"]);
    expect(p.args.keys).toEqual({ 截止: "3月20日", 措施: "立即 更新公开栏" });
  });

  it("full-width ＃ and digits, categories, a key with its value after a space", () => {
    const p = parseCommand("/上报 公开栏 三个月未更新 ＃村务公开 截止: 明天")!;
    expect(p.args.words).toEqual(["公开栏", "三个月未更新"]);
    expect(p.args.tags).toEqual(["村务公开"]);
    expect(p.args.keys["截止"]).toBe("明天");
    expect(parseCommand("/认领 ＃１２")!.args.refs).toEqual([12]);
  });

  it("strips a leading @-mention of the bot and the U+2005 a real mention leaves", () => {
    const p = parseCommand("@督办助手\u2005/我的", ["督办助手"])!;
    expect(p.word).toBe("我的");
    expect(parseCommand("@别人 /我的", ["督办助手"])).toBeNull();
  });

  it("removes zero-width and bidi characters before reading", () => {
    expect(parseCommand("\u200b/上\u200d报 测试\u202e")!.word).toBe("上报");
    expect(sanitize("a\u0000b\u200bc")).toBe("abc");
  });
});

describe("splitByBytes", () => {
  it("keeps short text whole", () => {
    expect(splitByBytes("你好", 10)).toEqual(["你好"]);
  });
  it("splits on line boundaries under the limit", () => {
    const lines = Array.from({ length: 50 }, (_, i) => `第${i}行：村务公开栏未更新`);
    const parts = splitByBytes(lines.join("\n"), 200);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(utf8Bytes(p)).toBeLessThanOrEqual(200);
    expect(parts.join("\n")).toBe(lines.join("\n"));
    for (const p of parts) expect(lines).toContain(p.split("\n")[0]);
  });
  it("cuts an over-long line between characters, never inside one", () => {
    const long = "𠀀汉".repeat(100);
    const parts = splitByBytes(long, 50);
    for (const p of parts) expect(utf8Bytes(p)).toBeLessThanOrEqual(50);
    expect(parts.join("")).toBe(long);
    expect(parts.every((p) => !/[\ud800-\udbff]$/.test(p))).toBe(true);
  });
});
