// The WeCom 群机器人 (webhook) channel against the fake WeCom API (test/fakes/wecom-http-server.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookChannel, escapeMarkdown, md, WEBHOOK_LIMITS, WebhookUncertainSend, webhookKey, type WebhookOptions } from "../../src/channels/wecom-webhook/index.ts";
import { DefiniteSendFailure } from "../../src/core/ports.ts";
import { startFakeWecom, type FakeWecom, type FakeWecomOptions } from "../fakes/wecom-http-server.ts";

type Line = { level: string; event: string } & Record<string, unknown>;
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const KEY1 = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
const KEY2 = "0b7c3e12-1111-4c2d-8e9f-aabbccddeeff";
const dir = mkdtempSync(path.join(os.tmpdir(), "duban-wecom-webhook-"));

let fakes: FakeWecom[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

async function setup(fo: FakeWecomOptions = {}, co: Partial<WebhookOptions> = {}) {
  const clock = { t: Date.UTC(2026, 2, 2, 1, 0, 0) };
  const now = () => clock.t;
  const fake = await startFakeWecom({ now, webhookKeys: [KEY1, KEY2], ...fo });
  fakes.push(fake);
  const lines: Line[] = [];
  const rec = (level: string) => (event: string, fields: Record<string, unknown> = {}) => void lines.push({ level, event, ...fields });
  const log = { info: rec("info"), warn: rec("warn"), error: rec("error") };
  const ch = createWebhookChannel({
    rooms: [
      { roomId: "r1@chatroom", key: KEY1, name: "作风整顿工作群" },
      { roomId: "r2@chatroom", key: KEY2, name: "东村工作群" },
    ],
    base: fake.base,
    log,
    now,
    ...co,
  });
  const calls = (p: string) => fake.requests.filter((r) => r.path === p);
  return { fake, ch, lines, clock, calls };
}
const room = (id = "r1@chatroom") => ({ kind: "room" as const, id });
const noDeliver = async () => {
  throw new Error("a send-only channel never delivers");
};
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("wecom-webhook: sending", () => {
  it("start() checks every key with an upload (nothing appears in a group) and logs the groups it reaches", async () => {
    const { fake, ch, lines, calls } = await setup();
    await ch.start(noDeliver);
    expect(calls("/cgi-bin/webhook/upload_media")).toHaveLength(2);
    expect(fake.robotMessages).toEqual([]);
    const l = lines.find((x) => x.event === "wecom-webhook.ready")!;
    expect(l.msg).toMatch(/群机器人已连通.*作风整顿工作群.*东村工作群/);
  });

  it("text with @-mentions goes out with mentioned_list; markdown with <@userid> mentions", async () => {
    const { fake, ch } = await setup();
    await ch.send({ target: room(), text: "请按期整改 #3", mentions: ["zhangsan", "wangwu"] });
    await ch.send({ target: room("r2@chatroom"), markdown: md`**逾期提醒**\n> ${"#3 村务公开栏<@all>"}`, mentions: ["wangwu"] });
    const [t, m] = fake.robotMessages;
    expect(t).toMatchObject({ key: KEY1, msgtype: "text", body: { text: { content: "请按期整改 #3", mentioned_list: ["zhangsan", "wangwu"] } } });
    expect(m.key).toBe(KEY2);
    expect(m.body.markdown.content).toBe("**逾期提醒**\n> ＃3 村务公开栏＜@all＞\n<@wangwu>");
  });

  it("a mention that is no userid (or @all) is never sent", async () => {
    const { fake, ch } = await setup();
    await ch.send({ target: room(), text: "x", mentions: ["@all", "a b", "zhangsan"] });
    expect(fake.robotMessages[0].body.text.mentioned_list).toEqual(["zhangsan"]);
  });

  it("an image goes out as base64 + md5 (the fake checks the md5); a file through upload_media then a file message", async () => {
    const { fake, ch, calls } = await setup();
    const png = path.join(dir, "chart.png");
    writeFileSync(png, PNG);
    const xlsx = path.join(dir, "东村台账.xlsx");
    writeFileSync(xlsx, Buffer.from("PK\u0003\u0004 ledger bytes"));
    await ch.send({ target: room(), file: png, mentions: [] });
    await ch.send({ target: room(), file: xlsx, mentions: [] });
    const [i, f] = fake.robotMessages;
    expect(i.msgtype).toBe("image");
    expect(Buffer.from(i.body.image.base64, "base64").equals(PNG)).toBe(true);
    expect(f.msgtype).toBe("file");
    const media = fake.media.get(f.body.file.media_id)!;
    expect(media).toMatchObject({ owner: KEY1, type: "file", filename: "东村台账.xlsx" });
    expect(calls("/cgi-bin/webhook/upload_media")).toHaveLength(1);
  });

  it("an image over 2 MB goes as a file instead; the fake refuses a wrong md5", async () => {
    const { fake, ch } = await setup();
    const big = path.join(dir, "big.png");
    writeFileSync(big, Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]));
    await ch.send({ target: room(), file: big, mentions: [] });
    expect(fake.robotMessages.map((m) => m.msgtype)).toEqual(["file"]);
    const res = await fetch(`${fake.base}/cgi-bin/webhook/send?key=${KEY1}`, { method: "POST", body: JSON.stringify({ msgtype: "image", image: { base64: PNG.toString("base64"), md5: "0".repeat(32) } }) });
    expect((await res.json()).errcode).not.toBe(0);
  });

  it("reaches exactly its groups: no contact, no other group", async () => {
    const { ch } = await setup();
    expect(ch.canReach({ target: room() })).toBe(true);
    expect(ch.canReach({ target: room("r2@chatroom") })).toBe(true);
    expect(ch.canReach({ target: room("r3@chatroom") })).toBe(false);
    expect(ch.canReach({ target: { kind: "contact", id: "zhangsan" } })).toBe(false);
    const tiny = path.join(dir, "tiny.txt");
    writeFileSync(tiny, "abc");
    expect(ch.canReach({ target: room(), file: tiny })).toBe(false); // under 5 bytes
    await expect(ch.send({ target: room("r3@chatroom"), text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    await expect(ch.send({ target: { kind: "contact", id: "zhangsan" }, text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
  });

  it("takes the whole webhook address as a key too", async () => {
    expect(webhookKey(` https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY1} `)).toBe(KEY1);
    const { fake, ch } = await setup({}, { rooms: [{ roomId: "r1@chatroom", key: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY1}` }] });
    await ch.send({ target: room(), text: "x", mentions: [] });
    expect(fake.robotMessages).toHaveLength(1);
  });
});

describe("wecom-webhook: limits", () => {
  it("text up to 2,048 bytes, markdown up to 4,096; one byte more is refused before any call", async () => {
    const { fake, ch, calls } = await setup();
    expect(ch.limits.maxBytes).toBe(2048);
    const t = "督".repeat(682) + "ab";
    const m = "督".repeat(1365) + "a";
    expect([Buffer.byteLength(t), Buffer.byteLength(m)]).toEqual([2048, 4096]);
    await ch.send({ target: room(), text: t, mentions: ["zhangsan"] }); // mentioned_list is outside content
    await ch.send({ target: room(), markdown: m, mentions: [] });
    expect(fake.robotMessages).toHaveLength(2);
    const n = calls("/cgi-bin/webhook/send").length;
    await expect(ch.send({ target: room(), text: t + "c", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    await expect(ch.send({ target: room(), markdown: m + "c", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    await expect(ch.send({ target: room(), markdown: m, mentions: ["zhangsan"] })).rejects.toBeInstanceOf(DefiniteSendFailure); // the <@…> counts
    expect(calls("/cgi-bin/webhook/send")).toHaveLength(n);
  });

  it("rate: fewer than 20 a minute per robot; the channel refuses the next one itself, the platform never says 45009", async () => {
    const { fake, ch, clock, calls } = await setup();
    expect(WEBHOOK_LIMITS.perTarget).toBeLessThan(20);
    expect(WEBHOOK_LIMITS.windowMs).toBeGreaterThanOrEqual(60_000);
    for (let i = 0; i < WEBHOOK_LIMITS.perTarget; i++) await ch.send({ target: room(), text: `第${i}条`, mentions: [] });
    const n = calls("/cgi-bin/webhook/send").length;
    const e = await ch.send({ target: room(), text: "多一条", mentions: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(DefiniteSendFailure);
    expect(e.message).toMatch(/每分钟/);
    expect(calls("/cgi-bin/webhook/send")).toHaveLength(n);
    await ch.send({ target: room("r2@chatroom"), text: "另一个群不受影响", mentions: [] });
    clock.t += 30_000;
    await expect(ch.send({ target: room(), text: "半分钟后", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    clock.t += 30_000;
    await ch.send({ target: room(), text: "一分钟后", mentions: [] });
    expect(calls("/cgi-bin/webhook/send").some((r) => r.errcode === 45009)).toBe(false);
  });

  it("45009 anyway (someone else used the same robot): a definite failure, and the robot rests a whole minute", async () => {
    const { fake, ch, clock, lines, calls } = await setup();
    for (let i = 0; i < 20; i++) await fetch(`${fake.base}/cgi-bin/webhook/send?key=${KEY1}`, { method: "POST", body: JSON.stringify({ msgtype: "text", text: { content: `别处发的${i}` } }) });
    const e = await ch.send({ target: room(), text: "x", mentions: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(DefiniteSendFailure);
    expect(lines.find((l) => l.event === "wecom-webhook.refused")).toMatchObject({ level: "warn", errcode: 45009 });
    const n = calls("/cgi-bin/webhook/send").length;
    clock.t += 59_000;
    await expect(ch.send({ target: room(), text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    expect(calls("/cgi-bin/webhook/send")).toHaveLength(n); // held back by the channel
    clock.t += 2_000;
    await ch.send({ target: room(), text: "x", mentions: [] });
  });
});

describe("wecom-webhook: refusals and network", () => {
  it("an invalid key (93000): start() says so in Chinese, naming rooms[].webhook and the group, without the key", async () => {
    const { ch, lines } = await setup({ webhookKeys: [KEY2] });
    const t0 = Date.now();
    await ch.start(noDeliver);
    expect(Date.now() - t0).toBeLessThan(3000);
    const l = lines.find((x) => x.event === "wecom-webhook.refused")!;
    expect(l).toMatchObject({ level: "error", errcode: 93000, check: "rooms[].webhook", room: "作风整顿工作群" });
    expect(l.hint).toMatch(/作风整顿工作群.*rooms\[\]\.webhook/);
    expect(lines.find((x) => x.event === "wecom-webhook.not_ready")?.msg).toMatch(/作风整顿工作群/);
    expect(lines.find((x) => x.event === "wecom-webhook.ready")?.msg).toMatch(/东村工作群/);
    expect(JSON.stringify(lines)).not.toContain(KEY1);
    await expect(ch.send({ target: room(), text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
  });

  it("an unreachable server: logged within seconds naming WECOM_WEBHOOK_BASE", async () => {
    const { ch, lines } = await setup({}, { base: `http://127.0.0.1:${await closedPort()}` });
    await ch.start(noDeliver);
    const l = lines.find((x) => x.event === "wecom-webhook.unreachable")!;
    expect(l).toMatchObject({ level: "error", check: "WECOM_WEBHOOK_BASE" });
    expect(String(l.error)).toMatch(/连接不上.*WECOM_WEBHOOK_BASE/);
    await expect(ch.send({ target: room(), text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
  });

  it("a send that never answers: a plain error (it may have gone out) after the timeout; a stuck upload is definite", async () => {
    const { fake, ch } = await setup({}, { timeoutMs: 300, uploadTimeoutMs: 300 });
    fake.hang("/cgi-bin/webhook/send");
    const t0 = Date.now();
    const e = await ch.send({ target: room(), text: "x", mentions: [] }).catch((x) => x);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(e).toBeInstanceOf(WebhookUncertainSend);
    expect(e).not.toBeInstanceOf(DefiniteSendFailure);
    fake.hang("/cgi-bin/webhook/upload_media");
    const f = path.join(dir, "a.txt");
    writeFileSync(f, "hello world");
    await expect(ch.send({ target: room("r2@chatroom"), file: f, mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
  });

  it("a 5xx from webhook/send is a plain error", async () => {
    const { fake, ch } = await setup();
    fake.failNext("/cgi-bin/webhook/send", 502);
    const e = await ch.send({ target: room(), text: "x", mentions: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(DefiniteSendFailure);
  });
});

describe("escapeMarkdown: user text inside WeCom markdown", () => {
  const MARKUP = /[\\*_`[\]()<>#~|&!]/;
  const hostile = [
    "<@all> 大家快看",
    '<font color="warning">镇纪委通报：</font>张三',
    "[点击查看整改结果](http://evil.example/phish)",
    "![图](http://evil.example/x.png)",
    "**加粗** __下划线__ ~~删除~~ `代码` ```块```",
    "第一行\n# 假标题\n> 假引用\n- 假列表\n+ 假列表\n1. 假编号\n2) 假编号\n    缩进成代码\n\t制表符\n===\n---",
    "&lt;@all&gt; &#60;@all&#62;",
    "反斜杠 \\*不是粗体\\*",
    "零宽\u200b字\u202e符\u2066与控制\u0007字符\r\n换行",
  ];

  it("leaves no markup character and no line-start marker in hostile input", () => {
    for (const h of hostile) {
      const out = escapeMarkdown(h);
      expect(out, h).not.toMatch(MARKUP);
      for (const line of out.split("\n")) {
        expect(line, h).not.toMatch(/^\s*([-+=]|\d+[.)])/);
        expect(line, h).not.toMatch(/^ /);
      }
      expect(out, h).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u200b\u202e\u2066\r]/);
    }
  });

  it("keeps the words readable (full-width twins) and leaves ordinary Chinese text alone", () => {
    expect(escapeMarkdown("<@all> 大家快看")).toBe("＜@all＞ 大家快看");
    expect(escapeMarkdown("[点击](http://x)")).toBe("［点击］（http://x）");
    expect(escapeMarkdown("1. 第一条\n- 第二条")).toBe("1． 第一条\n－ 第二条");
    expect(escapeMarkdown("东村村务公开栏三个月未更新，2026-03-20 前整改。")).toBe("东村村务公开栏三个月未更新，2026-03-20 前整改。");
  });

  it("survives random input: never a markup character, whatever the bytes", () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = "<>@*_`[]()#~|&!\\\n\t\r -+=.1234567890abc督办\u200b\u202e";
    for (let n = 0; n < 2000; n++) {
      let s = "";
      for (let i = 0; i < 40; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const out = escapeMarkdown(s);
      expect(out).not.toMatch(MARKUP);
      for (const line of out.split("\n")) expect(line).not.toMatch(/^\s*([-+=]|\d+[.)])/);
    }
  });

  it("md`` keeps the template's markup and escapes only what is interpolated", () => {
    const title = "**假**<@all>";
    expect(md`**${title}**\n> 单位：${"东村"}`).toBe("**＊＊假＊＊＜@all＞**\n> 单位：东村");
  });
});
