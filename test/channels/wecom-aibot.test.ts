// The WeCom 智能机器人 channel against a local fake of its long-connection server (test/fakes/).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { createAibotChannel, escapeMarkdown, toMarkdownParts, MARKDOWN_MAX_BYTES, type AibotChannelOptions } from "../../src/channels/wecom-aibot/index.ts";
import { DefiniteSendFailure, type Channel, type Inbound } from "../../src/core/ports.ts";
import { FakeAibotServer } from "../fakes/wecom-aibot-server.ts";

const CREDS = { botId: "aib-test-bot", secret: "s3cret" };
const ROSTER: Record<string, string> = { 张三: "zhangsan", 李四: "lisi" };

type Line = { level: string; event: string; fields: Record<string, unknown> };
function captureLog() {
  const lines: Line[] = [];
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => void lines.push({ level, event, fields });
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, text: () => lines.map((l) => JSON.stringify({ level: l.level, event: l.event, ...l.fields })) };
}

async function until(pred: () => boolean, ms = 5000, what = "condition") {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A real PNG (a 2×2 red square), so the decrypted bytes can be compared with an original. */
function png(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.from([0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

let servers: FakeAibotServer[] = [];
let channels: Channel[] = [];
afterEach(async () => {
  for (const c of channels) await c.stop();
  for (const s of servers) await s.close();
  servers = [];
  channels = [];
});

async function setup(o: Partial<AibotChannelOptions> & { clock?: { t: number } } = {}) {
  const clock = o.clock;
  const server = await new FakeAibotServer(CREDS, clock ? () => clock.t : Date.now).listen();
  servers.push(server);
  const cap = captureLog();
  const inbox: Inbound[] = [];
  const channel = createAibotChannel({
    ...CREDS,
    wsUrl: server.wsUrl,
    log: cap.log,
    resolveMention: (n) => ROSTER[n],
    botName: "督办助手",
    timeouts: { reconnectBaseMs: 50, connectMs: 3000 },
    ...(clock ? { now: () => clock.t } : {}),
    ...o,
  });
  channels.push(channel);
  await channel.start(async (m) => void inbox.push(m));
  return { server, channel, inbox, cap };
}

describe("wecom-aibot channel: in", () => {
  it("a group message @-mentioning the bot becomes an Inbound; @姓名 resolved through the roster", async () => {
    const { server, channel, inbox, cap } = await setup();
    expect(cap.lines.some((l) => l.event === "wecom_aibot.connected")).toBe(true);
    const { reqId, msgid } = server.pushText({ userid: "wangwu", chatid: "wrkSFfCgAAtest", content: "@督办助手 /指派 #3 @张三 @李四请跟进 @不认识" });
    await until(() => inbox.length === 1);
    const m = inbox[0];
    expect(m).toMatchObject({
      channel: "wecom-aibot",
      account: CREDS.botId,
      id: msgid,
      chat: { kind: "room", id: "wrkSFfCgAAtest", topic: "wrkSFfCgAAtest" },
      senderId: "wangwu",
      text: "@督办助手 /指派 #3 @张三 @李四请跟进 @不认识",
      replyHandle: reqId,
    });
    expect(m.sentAt).toBeInstanceOf(Date);
    expect(m.mentioned).toEqual([
      { id: CREDS.botId, name: "督办助手" },
      { id: "zhangsan", name: "张三" },
      { id: "lisi", name: "李四" },
    ]);
    expect(channel.account()).toBe(CREDS.botId);
    // the SDK's debug lines print whole frames: none of it reaches Duban's log (SPEC §7, anonymity)
    expect(cap.text().join("\n")).not.toMatch(/wangwu|指派/);
  });

  it("a private message: chat private, no mentions", async () => {
    const { server, inbox } = await setup();
    const { msgid } = server.pushText({ userid: "zhangsan", content: "/查询 @李四" });
    await until(() => inbox.length === 1);
    expect(inbox[0]).toMatchObject({ id: msgid, chat: { kind: "private" }, senderId: "zhangsan", text: "/查询 @李四", mentioned: [] });
  });

  it("the same msgid pushed twice is delivered twice with the same id (the SDK does not dedupe; the pipeline's claim on channel:account:id does)", async () => {
    const { server, inbox } = await setup();
    server.pushText({ userid: "zhangsan", content: "/帮助", msgid: "dup-1" });
    server.pushText({ userid: "zhangsan", content: "/帮助", msgid: "dup-1" });
    await until(() => inbox.length === 2);
    expect(inbox.map((m) => `${m.channel}:${m.account}:${m.id}`)).toEqual([`wecom-aibot:${CREDS.botId}:dup-1`, `wecom-aibot:${CREDS.botId}:dup-1`]);
  });

  it("an image (private) and an @bot + image (group) are saved decrypted, byte for byte", async () => {
    const { server, inbox } = await setup();
    const original = png();
    server.pushImage({ userid: "zhangsan", data: original });
    server.pushImage({ userid: "lisi", data: original, chatid: "grp-1", text: "@督办助手 " });
    await until(() => inbox.length === 2);
    const dir = mkdtempSync(path.join(tmpdir(), "aibot-img-"));
    const saved = await inbox[0].image!.save(path.join(dir, "a"));
    expect(saved).toBe(path.join(dir, "a.png"));
    expect(readFileSync(saved).equals(original)).toBe(true);
    expect(inbox[1]).toMatchObject({ chat: { kind: "room", id: "grp-1" }, text: "@督办助手 " });
    const saved2 = await inbox[1].image!.save(path.join(dir, "b"));
    expect(readFileSync(saved2).equals(original)).toBe(true);
  });
});

describe("wecom-aibot channel: out", () => {
  it("limits: markdown 20,480 bytes, files; overhead counts the <@userid> mentions", async () => {
    const { channel } = await setup();
    expect(channel.limits.maxBytes).toBe(20_480);
    expect(channel.limits.files).toBe(true);
    expect(channel.overhead!({ kind: "room", id: "g" }, ["zhangsan"])).toBe(Buffer.byteLength("<@zhangsan> "));
    expect(channel.overhead!({ kind: "contact", id: "zhangsan" }, [])).toBe(0);
  });

  it("a reply goes on the callback's req_id, as one finished stream, escaped, with mentions", async () => {
    const { server, channel, inbox } = await setup();
    const { reqId } = server.pushText({ userid: "wangwu", chatid: "grp-1", content: "@督办助手 /上报 路灯*坏了*" });
    await until(() => inbox.length === 1);
    await channel.send({ target: { kind: "room", id: "grp-1" }, text: "已登记 #1：路灯*坏了*", mentions: ["wangwu"], replyHandle: inbox[0].replyHandle });
    expect(server.sent).toHaveLength(1);
    expect(server.sent[0]).toMatchObject({ cmd: "aibot_respond_msg", reqId, chatid: "grp-1" });
    expect(server.sent[0].body).toMatchObject({ msgtype: "stream", stream: { finish: true, content: "<@wangwu> 已登记 #1：路灯\\*坏了\\*" } });
  });

  it("a reply handle used for another chat (a private answer to a group message) does not post in the group", async () => {
    const { server, channel, inbox } = await setup();
    server.pushText({ userid: "wangwu", chatid: "grp-1", content: "@督办助手 /上报 匿名" });
    await until(() => inbox.length === 1);
    await channel.send({ target: { kind: "contact", id: "wangwu" }, text: "只有你看得到", mentions: [], replyHandle: inbox[0].replyHandle });
    expect(server.sent).toEqual([expect.objectContaining({ cmd: "aibot_send_msg", chatid: "wangwu" })]);
  });

  it("after the 6-minute window the reply goes proactively; the fake refuses a late stream itself", async () => {
    const clock = { t: Date.now() };
    const { server, channel, inbox } = await setup({ clock });
    const { reqId } = server.pushText({ userid: "zhangsan", content: "/查询" });
    await until(() => inbox.length === 1);
    clock.t += 7 * 60_000;
    await channel.send({ target: { kind: "contact", id: "zhangsan" }, text: "查询结果", mentions: [], replyHandle: reqId });
    expect(server.sent).toEqual([expect.objectContaining({ cmd: "aibot_send_msg", chatid: "zhangsan" })]);
    // with a window longer than the platform's, the refused stream (846608) falls back to a proactive send
    const late = await setup({ clock, timeouts: { reconnectBaseMs: 50, replyWindowMs: 60 * 60_000 } });
    const cb = late.server.pushText({ userid: "lisi", content: "/查询" });
    await until(() => late.inbox.length === 1);
    clock.t += 7 * 60_000;
    await late.channel.send({ target: { kind: "contact", id: "lisi" }, text: "查询结果", mentions: [], replyHandle: cb.reqId });
    expect(late.server.sent).toEqual([expect.objectContaining({ cmd: "aibot_send_msg", chatid: "lisi" })]);
    expect(late.cap.lines.some((l) => l.event === "wecom_aibot.reply_refused" && String(l.fields.error).includes("846608"))).toBe(true);
  });

  it("proactive markdown to a group chat id and to a user id", async () => {
    const { server, channel } = await setup();
    server.addChat("grp-9");
    server.addChat("lisi");
    await channel.send({ target: { kind: "room", id: "grp-9" }, text: "# 今日督办\n- 1. <@all> [链接](x)", mentions: ["zhangsan", "lisi"] });
    await channel.send({ target: { kind: "contact", id: "lisi" }, text: "你有 1 件待办", mentions: [] });
    expect(server.sent.map((s) => [s.cmd, s.chatid, s.body.msgtype])).toEqual([
      ["aibot_send_msg", "grp-9", "markdown"],
      ["aibot_send_msg", "lisi", "markdown"],
    ]);
    expect(server.sent[0].body.markdown.content).toBe("<@zhangsan> <@lisi> \\# 今日督办\n\\- 1. \\<@all\\> \\[链接\\](x)");
    expect(server.sent[1].body.markdown.content).toBe("你有 1 件待办");
  });

  it("a chat the platform refuses is a DefiniteSendFailure", async () => {
    const { channel } = await setup();
    await expect(channel.send({ target: { kind: "room", id: "not-a-chat" }, text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
  });

  it("a file goes out as uploadMedia (init, chunks, finish) then a media message", async () => {
    const { server, channel } = await setup();
    server.addChat("grp-9");
    const dir = mkdtempSync(path.join(tmpdir(), "aibot-file-"));
    const xlsx = path.join(dir, "台账.xlsx");
    const data = Buffer.alloc(700 * 1024, 7); // two chunks
    writeFileSync(xlsx, data);
    const chart = path.join(dir, "chart.png");
    writeFileSync(chart, png());
    await channel.send({ target: { kind: "room", id: "grp-9" }, file: xlsx, mentions: [] });
    await channel.send({ target: { kind: "room", id: "grp-9" }, file: chart, mentions: [] });
    const cmds = server.frames.map((f) => f.cmd).filter((c) => c !== "aibot_subscribe" && c !== "ping");
    expect(cmds).toEqual([
      "aibot_upload_media_init", "aibot_upload_media_chunk", "aibot_upload_media_chunk", "aibot_upload_media_finish", "aibot_send_msg",
      "aibot_upload_media_init", "aibot_upload_media_chunk", "aibot_upload_media_finish", "aibot_send_msg",
    ]);
    expect(server.sent.map((s) => s.body.msgtype)).toEqual(["file", "image"]);
    const up = server.uploads.get(server.sent[0].body.file.media_id)!;
    expect(up.filename).toBe("台账.xlsx");
    expect(up.data.equals(data)).toBe(true);
  });

  it("markdown over 20,480 bytes never reaches the server: the channel splits what escaping makes too long", async () => {
    const { server, channel } = await setup();
    server.addChat("grp-9");
    const tooLong = "汉".repeat(6827) + "ab"; // 20,483 bytes
    await expect(channel.send({ target: { kind: "room", id: "grp-9" }, text: tooLong, mentions: [] })).resolves.toBeUndefined();
    expect(server.sent.every((s) => Buffer.byteLength(s.body.markdown.content) <= MARKDOWN_MAX_BYTES)).toBe(true);
    expect(server.sent.length).toBe(2);
    // exactly at the limit after escaping: one message
    server.sent.length = 0;
    const lines = Array.from({ length: 2000 }, () => "*a*x").join("\n"); // 4 → 6 bytes a line after escaping
    const parts = toMarkdownParts(lines, "", MARKDOWN_MAX_BYTES);
    expect(parts.length).toBe(1 + Math.floor((2000 * 7 - 1) / (MARKDOWN_MAX_BYTES + 1)));
    await channel.send({ target: { kind: "room", id: "grp-9" }, text: lines, mentions: [] });
    expect(server.sent.map((s) => s.body.markdown.content).join("\n")).toBe(escapeMarkdown(lines));
    expect(server.sent.every((s) => Buffer.byteLength(s.body.markdown.content) <= MARKDOWN_MAX_BYTES)).toBe(true);
  });
});

describe("wecom-aibot fake server is not lenient", () => {
  it("refuses markdown over 20,480 bytes sent straight through the SDK", async () => {
    const server = await new FakeAibotServer(CREDS).listen();
    servers.push(server);
    server.addChat("g");
    const { WSClient } = await import("@wecom/aibot-node-sdk");
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const c = new WSClient({ ...CREDS, wsUrl: server.wsUrl, logger: quiet });
    c.connect();
    await server.waitFor(() => server.authedConnections === 1);
    await expect(c.sendMessage("g", { msgtype: "markdown", markdown: { content: "a".repeat(MARKDOWN_MAX_BYTES + 1) } })).rejects.toMatchObject({ errcode: 40058 });
    await expect(c.sendMessage("g", { msgtype: "markdown", markdown: { content: "a".repeat(MARKDOWN_MAX_BYTES) } })).resolves.toMatchObject({ errcode: 0 });
    await expect(c.replyStream({ headers: { req_id: "never-issued" } }, "s1", "x", true)).rejects.toMatchObject({ errcode: 846605 });
    c.disconnect();
  });
});

describe("wecom-aibot channel: connection", () => {
  it("reconnects after the server drops the connection; a message sent after that arrives once", async () => {
    const { server, channel, inbox, cap } = await setup();
    server.pushText({ userid: "zhangsan", content: "before", msgid: "m-before" });
    await until(() => inbox.length === 1);
    server.dropConnections();
    await until(() => cap.lines.some((l) => l.event === "wecom_aibot.disconnected"), 5000, "disconnect logged");
    await server.waitFor(() => server.authedConnections === 1, 5000, "re-authentication");
    await until(() => cap.lines.filter((l) => l.event === "wecom_aibot.connected").length === 2, 5000, "second connected line");
    server.pushText({ userid: "zhangsan", content: "after", msgid: "m-after" });
    await until(() => inbox.length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox.map((m) => m.id)).toEqual(["m-before", "m-after"]);
    // and it can send again
    await channel.send({ target: { kind: "contact", id: "zhangsan" }, text: "ok", mentions: [] });
    expect(server.sent).toHaveLength(1);
  });

  it("wrong credentials: a log line within seconds naming WECOM_AIBOT_ID / WECOM_AIBOT_SECRET", async () => {
    const t0 = Date.now();
    const { channel, cap } = await setup({ secret: "wrong" });
    const line = cap.text().find((l) => l.includes("wecom_aibot.auth_failed"));
    expect(line).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(line).toContain("WECOM_AIBOT_ID");
    expect(line).toContain("WECOM_AIBOT_SECRET");
    expect(line).toContain("853000");
    expect(cap.lines.find((l) => l.event === "wecom_aibot.auth_failed")!.level).toBe("error");
    await expect(channel.send({ target: { kind: "contact", id: "x" }, text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    // the SDK retries a refused subscribe 5 times with back-off, then gives up (said once more, loudly)
    await until(() => cap.lines.some((l) => l.event === "wecom_aibot.gave_up"), 5000, "gave_up");
    expect(servers[0].subscribeAttempts).toBe(6);
    expect(JSON.stringify(cap.lines.find((l) => l.event === "wecom_aibot.gave_up"))).toContain("WECOM_AIBOT_SECRET");
  });

  it("an unreachable ws URL: a log line within seconds naming WECOM_AIBOT_WS_URL", async () => {
    const probe = await new FakeAibotServer(CREDS).listen();
    const deadUrl = probe.wsUrl;
    await probe.close(); // nothing listens there any more
    const cap = captureLog();
    const channel = createAibotChannel({ ...CREDS, wsUrl: deadUrl, log: cap.log, timeouts: { reconnectBaseMs: 50 } });
    channels.push(channel);
    const t0 = Date.now();
    await channel.start(async () => {});
    const line = cap.text().find((l) => l.includes("wecom_aibot.connect_failed"));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(line).toContain("WECOM_AIBOT_WS_URL");
    expect(line).toContain(deadUrl);
  });

  it("disconnected_event (another instance took over): one loud line, and it does not fight back", async () => {
    const { server, channel, cap } = await setup();
    // a second instance with the same bot connects: the server moves the bot to it
    const second = createAibotChannel({ ...CREDS, wsUrl: server.wsUrl, log: captureLog().log, timeouts: { reconnectBaseMs: 50 } });
    channels.push(second);
    await second.start(async () => {});
    await until(() => cap.lines.some((l) => l.event === "wecom_aibot.taken_over"), 3000, "taken_over");
    const line = cap.lines.find((l) => l.event === "wecom_aibot.taken_over")!;
    expect(line.level).toBe("error");
    expect(JSON.stringify(line)).toContain("WECOM_AIBOT_ID");
    const attempts = server.subscribeAttempts;
    await new Promise((r) => setTimeout(r, 1000)); // 20× the reconnect delay
    expect(server.subscribeAttempts).toBe(attempts);
    expect(server.authedConnections).toBe(1);
    await expect(channel.send({ target: { kind: "contact", id: "x" }, text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    expect(cap.lines.filter((l) => l.event === "wecom_aibot.disconnected")).toEqual([]);
  });

  it("disconnected_event sent directly: logged, no reconnect", async () => {
    const { server, cap } = await setup();
    server.sendDisconnectedEvent();
    await until(() => cap.lines.some((l) => l.event === "wecom_aibot.taken_over"));
    const attempts = server.subscribeAttempts;
    await new Promise((r) => setTimeout(r, 600));
    expect(server.subscribeAttempts).toBe(attempts);
    expect(server.authedConnections).toBe(0);
  });
});

describe("escapeMarkdown (SPEC §7: no user text pasted into markup unescaped)", () => {
  it("escapes inline markup, mention/HTML tags and block starts, keeps the text readable", () => {
    expect(escapeMarkdown("**粗** _斜_ `代码` [链接](http://x) ~~删~~ a|b &amp;")).toBe("\\*\\*粗\\*\\* \\_斜\\_ \\`代码\\` \\[链接\\](http://x) \\~\\~删\\~\\~ a\\|b \\&amp;");
    expect(escapeMarkdown("<@all> <font color=\"warning\">红</font>")).toBe("\\<@all\\> \\<font color=\"warning\"\\>红\\</font\\>");
    expect(escapeMarkdown("# 标题\n> 引用\n- 项\n+ 项\n1. 一\n2) 二\n===")).toBe("\\# 标题\n\\> 引用\n\\- 项\n\\+ 项\n1\\. 一\n2\\) 二\n\\===");
    expect(escapeMarkdown("C:\\路径")).toBe("C:\\\\路径");
    expect(escapeMarkdown("#3 已办结，按期完成率 95.5%")).toBe("\\#3 已办结，按期完成率 95.5%");
    expect(escapeMarkdown("普通中文，没有符号")).toBe("普通中文，没有符号");
  });
});
