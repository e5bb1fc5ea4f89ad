// The WeCom 自建应用 channel against the fake WeCom API (test/fakes/wecom-http-server.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createWecomAppChannel, WECOM_APP_LIMITS, WecomUncertainSend, wecomAppOptionsFromEnv, type WecomAppOptions } from "../../src/channels/wecom-app/index.ts";
import { DefiniteSendFailure } from "../../src/core/ports.ts";
import { startFakeWecom, type FakeWecom, type FakeWecomOptions } from "../fakes/wecom-http-server.ts";

type Line = { level: string; event: string } & Record<string, unknown>;
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const dir = mkdtempSync(path.join(os.tmpdir(), "duban-wecom-app-"));

let fakes: FakeWecom[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

async function setup(fo: FakeWecomOptions = {}, co: Partial<WecomAppOptions> = {}) {
  const clock = { t: Date.UTC(2026, 2, 2, 1, 0, 0) };
  const now = () => clock.t;
  const fake = await startFakeWecom({ now, ...fo });
  fakes.push(fake);
  const lines: Line[] = [];
  const rec = (level: string) => (event: string, fields: Record<string, unknown> = {}) => void lines.push({ level, event, ...fields });
  const log = { info: rec("info"), warn: rec("warn"), error: rec("error") };
  const ch = createWecomAppChannel({ corpId: fake.opts.corpId, agentId: String(fake.opts.agentId), secret: fake.opts.secret, apiBase: fake.base, log, now, ...co });
  const calls = (p: string) => fake.requests.filter((r) => r.path === p);
  return { fake, ch, lines, clock, calls };
}
/** a port on which nothing listens (bound, then closed) */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
const to = (id: string) => ({ kind: "contact" as const, id });
const noDeliver = async () => {
  throw new Error("a send-only channel never delivers");
};

describe("wecom-app: sending", () => {
  it("start() checks the credentials with a token and logs success; text and markdown go out as 应用消息", async () => {
    const { fake, ch, lines } = await setup();
    await ch.start(noDeliver);
    expect(fake.gettokenCalls).toBe(1);
    expect(lines.find((l) => l.event === "wecom-app.ready")?.msg).toMatch(/已连通/);
    await ch.send({ target: to("zhangsan"), text: "你有 2 项整改逾期：#3 村务公开栏未更新", mentions: [] });
    await ch.send({ target: to("zhangsan"), text: "unused", markdown: "**逾期提醒**\n> #3 村务公开栏未更新", mentions: [] });
    expect(fake.appMessages.map((m) => [m.touser, m.msgtype, m.body.agentid])).toEqual([
      ["zhangsan", "text", fake.opts.agentId],
      ["zhangsan", "markdown", fake.opts.agentId],
    ]);
    expect(fake.appMessages[0].body.text.content).toBe("你有 2 项整改逾期：#3 村务公开栏未更新");
    expect(fake.appMessages[1].body.markdown.content).toBe("**逾期提醒**\n> #3 村务公开栏未更新");
    expect(fake.appMessages.every((m) => !m.dropped)).toBe(true);
  });

  it("a file goes up with media/upload (type=file, multipart) and out as a file message; a PNG as an image", async () => {
    const { fake, ch, calls } = await setup();
    const xlsx = path.join(dir, "台账.xlsx");
    writeFileSync(xlsx, Buffer.from("PK\u0003\u0004 not really a workbook, but bytes"));
    const png = path.join(dir, "chart.png");
    writeFileSync(png, PNG);
    expect(ch.canReach({ target: to("zhangsan"), file: xlsx })).toBe(true);
    await ch.send({ target: to("zhangsan"), file: xlsx, mentions: [] });
    await ch.send({ target: to("zhangsan"), file: png, mentions: [] });
    expect(calls("/cgi-bin/media/upload")).toHaveLength(2);
    const [f, i] = fake.appMessages;
    expect(f.msgtype).toBe("file");
    const media = fake.media.get(f.body.file.media_id)!;
    expect(media.filename).toBe("台账.xlsx");
    expect(media.type).toBe("file");
    expect(media.bytes.toString()).toContain("not really a workbook");
    expect(i.msgtype).toBe("image");
    expect(fake.media.get(i.body.image.media_id)!.bytes.equals(PNG)).toBe(true);
  });

  it("reaches members only: never a group; a file over 20 MB is not carried", async () => {
    const { ch } = await setup();
    expect(ch.limits.files).toBe(true);
    expect(ch.canReach({ target: { kind: "room", id: "r1@chatroom" } })).toBe(false);
    expect(ch.canReach({ target: to("zhangsan") })).toBe(true);
    expect(ch.canReach({ target: to("not a userid!") })).toBe(false);
    const big = path.join(dir, "big.bin");
    writeFileSync(big, Buffer.alloc(20 * 1024 * 1024 + 1));
    expect(ch.canReach({ target: to("zhangsan"), file: big })).toBe(false);
    await expect(ch.send({ target: { kind: "room", id: "r1@chatroom" }, text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
  });
});

describe("wecom-app: limits", () => {
  it("2,048 bytes of text go out; one byte more is refused before any call (the platform would truncate it)", async () => {
    const { fake, ch, calls } = await setup();
    expect(ch.limits.maxBytes).toBe(2048);
    const exact = "督".repeat(682) + "ab"; // 682 × 3 + 2 = 2048 bytes
    expect(Buffer.byteLength(exact)).toBe(2048);
    await ch.send({ target: to("zhangsan"), text: exact, mentions: [] });
    expect(fake.appMessages[0].body.text.content).toBe(exact);
    const before = calls("/cgi-bin/message/send").length;
    await expect(ch.send({ target: to("zhangsan"), text: exact + "c", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    await expect(ch.send({ target: to("zhangsan"), markdown: exact + "c", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    expect(calls("/cgi-bin/message/send")).toHaveLength(before);
  });

  it("rate: declares fewer than 30 a minute and 1,000 an hour per member, and refuses the next one itself, so the platform drops nothing", async () => {
    const { fake, ch, clock, calls } = await setup();
    const { perTarget, windowMs } = WECOM_APP_LIMITS;
    expect(perTarget).toBeLessThan(30);
    expect(windowMs).toBeGreaterThanOrEqual(60_000);
    expect(perTarget * (3_600_000 / windowMs)).toBeLessThan(1000);
    for (let i = 0; i < perTarget; i++) await ch.send({ target: to("zhangsan"), text: `第${i}条`, mentions: [] });
    const sent = calls("/cgi-bin/message/send").length;
    const refused = await ch.send({ target: to("zhangsan"), text: "多一条", mentions: [] }).catch((e) => e);
    expect(refused).toBeInstanceOf(DefiniteSendFailure);
    expect(refused.message).toMatch(/每分钟/);
    expect(calls("/cgi-bin/message/send")).toHaveLength(sent); // refused before the platform
    // another member is not held up
    await ch.send({ target: to("lisi"), text: "别人的", mentions: [] });
    clock.t += windowMs;
    await ch.send({ target: to("zhangsan"), text: "一分钟后", mentions: [] });
    // an hour at the declared pace: nothing is ever dropped
    for (let m = 0; m < 60; m++) {
      clock.t += windowMs;
      for (let i = 0; i < perTarget; i++) await ch.send({ target: to("lisi"), text: `.${m}.${i}`, mentions: [] });
    }
    expect(fake.appMessages.filter((m) => m.dropped)).toEqual([]);
  });
});

describe("wecom-app: token", () => {
  it("is cached: many sends, one gettoken", async () => {
    const { fake, ch } = await setup();
    for (let i = 0; i < 5; i++) await ch.send({ target: to("zhangsan"), text: `${i}`, mentions: [] });
    expect(fake.gettokenCalls).toBe(1);
  });

  it("is refreshed before it expires, so the platform never has to say 42001", async () => {
    const { fake, ch, clock, calls } = await setup({ expiresIn: 100 });
    await ch.send({ target: to("zhangsan"), text: "1", mentions: [] });
    clock.t += 91_000; // 9 s left: inside the refresh margin (a tenth of a short lifetime)
    await ch.send({ target: to("zhangsan"), text: "2", mentions: [] });
    expect(fake.gettokenCalls).toBe(2);
    clock.t += 9_500; // the first token has expired now
    await ch.send({ target: to("zhangsan"), text: "3", mentions: [] });
    expect(fake.gettokenCalls).toBe(3);
    expect(calls("/cgi-bin/message/send").map((r) => r.errcode)).toEqual([0, 0, 0]);
    expect(fake.appMessages).toHaveLength(3);
  });

  it("42001 (expired early) and 40014 (invalidated): a fresh token and one retry, delivered once", async () => {
    const { fake, ch, calls, lines } = await setup();
    await ch.send({ target: to("zhangsan"), text: "1", mentions: [] });
    fake.expireTokens();
    await ch.send({ target: to("zhangsan"), text: "2", mentions: [] });
    fake.revokeTokens();
    await ch.send({ target: to("zhangsan"), text: "3", mentions: [] });
    expect(calls("/cgi-bin/message/send").map((r) => r.errcode)).toEqual([0, 42001, 0, 40014, 0]);
    expect(fake.gettokenCalls).toBe(3);
    expect(fake.appMessages.map((m) => m.body.text.content)).toEqual(["1", "2", "3"]);
    expect(lines.filter((l) => l.event === "wecom-app.token_refresh").map((l) => l.errcode)).toEqual([42001, 40014]);
  });

  it("retries only once: a token refused twice is a definite failure naming the secret", async () => {
    const fake0 = await startFakeWecom();
    fakes.push(fake0);
    let sends = 0;
    const refusing: typeof fetch = async (input, init) => {
      if (String(input).includes("/message/send")) {
        sends++;
        return new Response(JSON.stringify({ errcode: 40014, errmsg: "invalid access_token" }), { status: 200 });
      }
      return fetch(input, init);
    };
    const { ch, lines } = await setup({}, { fetch: refusing });
    const e = await ch.send({ target: to("zhangsan"), text: "x", mentions: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(DefiniteSendFailure);
    expect(sends).toBe(2);
    expect(lines.find((l) => l.event === "wecom-app.refused")?.check).toBe("WECOM_AGENT_SECRET");
  });
});

describe("wecom-app: refusals reach the log in Chinese, naming what to check", () => {
  const refusedLine = (lines: Line[]) => lines.find((l) => l.level === "error" && (l.event === "wecom-app.refused" || l.event === "wecom-app.config"));

  it("a wrong secret: start() logs it with WECOM_AGENT_SECRET within seconds and fails (the app then routes around the channel)", async () => {
    const { ch, lines } = await setup({}, { secret: "wrong-secret-000000000000" });
    const t0 = Date.now();
    await expect(ch.start(noDeliver)).rejects.toThrow(/凭证被拒绝/);
    expect(Date.now() - t0).toBeLessThan(3000);
    const l = refusedLine(lines)!;
    expect(l).toMatchObject({ errcode: 40001, check: "WECOM_AGENT_SECRET" });
    expect(l.hint).toMatch(/Secret.*WECOM_AGENT_SECRET/);
    expect(lines.find((x) => x.event === "wecom-app.not_ready")?.msg).toMatch(/WECOM_AGENT_SECRET/);
    expect(JSON.stringify(lines)).not.toContain("wrong-secret-000000000000");
  });

  it("a wrong corp id names WECOM_CORP_ID; a non-numeric agent id names WECOM_AGENT_ID without a call", async () => {
    const a = await setup({}, { corpId: "wwnotmycorp" });
    expect(await a.ch.check()).toBe(false);
    expect(refusedLine(a.lines)).toMatchObject({ errcode: 40013, check: "WECOM_CORP_ID" });
    const b = await setup({}, { agentId: "10000O2" });
    expect(await b.ch.check()).toBe(false);
    expect(refusedLine(b.lines)).toMatchObject({ check: "WECOM_AGENT_ID" });
    expect(b.fake.requests).toEqual([]);
  });

  it("an agent id of another app: 40056 on the first send, naming WECOM_AGENT_ID", async () => {
    const { ch, lines } = await setup({}, { agentId: 1000099 });
    const e = await ch.send({ target: to("zhangsan"), text: "x", mentions: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(DefiniteSendFailure);
    expect(refusedLine(lines)).toMatchObject({ errcode: 40056, check: "WECOM_AGENT_ID" });
  });

  it("60020 (untrusted IP): a definite failure, the hint says 企业可信IP and which IP to add", async () => {
    const { ch, lines, fake } = await setup({ untrustedIp: true });
    expect(await ch.check()).toBe(true); // the token comes; the IP is checked when sending
    const e = await ch.send({ target: to("zhangsan"), text: "x", mentions: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(DefiniteSendFailure);
    const l = refusedLine(lines)!;
    expect(l.errcode).toBe(60020);
    expect(l.hint).toMatch(/企业可信IP/);
    expect(l.hint).toContain("127.0.0.1");
    expect(fake.appMessages).toEqual([]);
  });

  it("60020 on gettoken too (where the platform does so): start() says 企业可信IP", async () => {
    const { ch, lines } = await setup({ untrustedIpAlsoGettoken: true });
    await ch.start(noDeliver);
    expect(refusedLine(lines)).toMatchObject({ errcode: 60020, check: "企业可信IP" });
  });

  it("81013 (not in the visible range / unknown): a definite failure naming the member and 可见范围", async () => {
    const { ch, lines } = await setup();
    const e = await ch.send({ target: to("wangwu"), text: "x", mentions: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(DefiniteSendFailure);
    const l = refusedLine(lines)!;
    expect(l).toMatchObject({ errcode: 81013, to: "wangwu" });
    expect(l.hint).toMatch(/wangwu.*可见范围/);
  });

  it("an unreachable server: start() logs it within seconds, naming WECOM_API_BASE", async () => {
    const { ch, lines } = await setup({}, { apiBase: `http://127.0.0.1:${await closedPort()}` });
    const t0 = Date.now();
    await ch.start(noDeliver);
    expect(Date.now() - t0).toBeLessThan(3000);
    const l = lines.find((x) => x.event === "wecom-app.unreachable")!;
    expect(l.level).toBe("error");
    expect(l.check).toBe("WECOM_API_BASE");
    expect(String(l.error)).toMatch(/连接不上.*WECOM_API_BASE/);
    // sending: nothing reached the server, so the failure is definite
    await expect(ch.send({ target: to("zhangsan"), text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
  });
});

describe("wecom-app: timeouts and server errors", () => {
  it("message/send that never answers: a plain error (it may have gone out) after the timeout", async () => {
    const { fake, ch } = await setup({}, { timeoutMs: 300 });
    await ch.check();
    fake.hang("/cgi-bin/message/send");
    const t0 = Date.now();
    const e = await ch.send({ target: to("zhangsan"), text: "x", mentions: [] }).catch((x) => x);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(e).toBeInstanceOf(WecomUncertainSend);
    expect(e).not.toBeInstanceOf(DefiniteSendFailure);
  });

  it("gettoken that never answers: start() logs within the timeout; a send fails definitely (nothing went out)", async () => {
    const { fake, ch, lines } = await setup({}, { timeoutMs: 300 });
    fake.hang("/cgi-bin/gettoken");
    const t0 = Date.now();
    await ch.start(noDeliver);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(lines.find((l) => l.event === "wecom-app.unreachable")).toMatchObject({ level: "error", check: "WECOM_API_BASE" });
    await expect(ch.send({ target: to("zhangsan"), text: "x", mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
  });

  it("a 5xx from message/send is a plain error; a 5xx from an upload is definite", async () => {
    const { fake, ch } = await setup();
    fake.failNext("/cgi-bin/message/send", 502);
    const e = await ch.send({ target: to("zhangsan"), text: "x", mentions: [] }).catch((x) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(DefiniteSendFailure);
    const f = path.join(dir, "a.txt");
    writeFileSync(f, "hello world");
    fake.failNext("/cgi-bin/media/upload", 503);
    await expect(ch.send({ target: to("zhangsan"), file: f, mentions: [] })).rejects.toBeInstanceOf(DefiniteSendFailure);
    await ch.send({ target: to("zhangsan"), file: f, mentions: [] });
    expect(fake.appMessages.map((m) => m.msgtype)).toEqual(["file"]);
  });
});

describe("wecom-app: environment", () => {
  it("is switched on by WECOM_CORP_ID + WECOM_AGENT_ID + WECOM_AGENT_SECRET (+ WECOM_API_BASE)", () => {
    const log = { info() {}, warn() {}, error() {} };
    expect(wecomAppOptionsFromEnv({}, log)).toBeUndefined();
    expect(wecomAppOptionsFromEnv({ WECOM_CORP_ID: "ww1", WECOM_AGENT_ID: "1000002", WECOM_AGENT_SECRET: "s", WECOM_API_BASE: "http://proxy:8080/" }, log)).toMatchObject({
      corpId: "ww1",
      agentId: "1000002",
      secret: "s",
      apiBase: "http://proxy:8080/",
    });
  });
});
