// Everyday use (SPEC §3): what a clerk meets besides the commands themselves.
import { afterEach, describe, expect, it } from "vitest";
import { bot } from "./helpers.ts";

const G = "东村工作群";
let b: Awaited<ReturnType<typeof bot>>;
afterEach(async () => b?.close());

describe("a message meant for the bot that is no command gets a pointer to /帮助", () => {
  it("an @-mention of the bot, a bare /, a private message; group talk stays unanswered", async () => {
    b = await bot();
    const pointer = /^我是青山镇作风整顿督办助手，只认以 \/ 开头的命令。发送 \/帮助 查看你能用的命令。$/;
    const mention = await b.say("zhangsan", "@督办助手 公开栏的事怎么报？", G);
    expect(mention).toEqual([expect.objectContaining({ room: G, mentions: ["zhangsan"], text: expect.stringMatching(pointer) })]);
    const slash = await b.say("lisi", "／", G);
    expect(slash).toEqual([expect.objectContaining({ room: G, mentions: ["lisi"], text: expect.stringMatching(pointer) })]);
    const priv = await b.say("wangwu", "你好");
    expect(priv).toEqual([expect.objectContaining({ to: "wangwu", text: expect.stringMatching(pointer) })]);
    expect(await b.say("zhangsan", "今天开会别忘了", G)).toEqual([]);
    // delivered twice, answered once
    expect(await b.say("zhangsan", "@督办助手 在吗", G, "dup-1")).toHaveLength(1);
    expect(await b.say("zhangsan", "@督办助手 在吗", G, "dup-1")).toEqual([]);
    expect(await b.db.item.count()).toBe(0);
  });
});
