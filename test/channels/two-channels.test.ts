// Two official WeCom channels in one process, on one outbox (issue "Channels", SPEC §8): the 智能机器人
// receives and answers, the 自建应用 reaches the people who never wrote to the bot. Wired exactly as
// `npm start` wires them (channelsFromEnv → createDuban), against the local fakes of both protocols.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDuban, type App } from "../../src/app.ts";
import { channelsFromEnv } from "../../src/channels/index.ts";
import { VirtualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/log.ts";
import { FakeAibotServer } from "../fakes/wecom-aibot-server.ts";
import { startFakeWecom, type FakeWecom } from "../fakes/wecom-http-server.ts";
import { createWeb } from "../../src/web/server.ts";
import { example } from "../helpers.ts";

const CREDS = { botId: "aib-duban", secret: "aibot-secret" };
const CHAT = "wrDongCunChat01"; // 东村工作群 as the 智能机器人 knows it

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
  cleanup = [];
});

async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 8000) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(o: { app?: boolean; secret?: string } = {}) {
  const clock = new VirtualClock(new Date("2026-03-02T09:00:00+08:00"));
  const aibot = await new FakeAibotServer(CREDS).listen();
  cleanup.push(() => aibot.close());
  const cfg = example();
  const members = cfg.members.map((m) => m.id);
  const wecom: FakeWecom = await startFakeWecom({ users: members });
  cleanup.push(() => wecom.close());
  cfg.rooms.push({ name: "东村工作群", chatid: CHAT, circular: false });
  const env: NodeJS.ProcessEnv = {
    WECOM_AIBOT_ID: CREDS.botId,
    WECOM_AIBOT_SECRET: CREDS.secret,
    WECOM_AIBOT_WS_URL: aibot.wsUrl,
    WECOM_AIBOT_NAME: "督办助手",
    ...(o.app === false
      ? {}
      : { WECOM_CORP_ID: wecom.opts.corpId, WECOM_AGENT_ID: String(wecom.opts.agentId), WECOM_AGENT_SECRET: o.secret ?? wecom.opts.secret, WECOM_API_BASE: wecom.base }),
  };
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("debug", (l) => lines.push(JSON.parse(l)));
  const setup = await channelsFromEnv(env, cfg, log);
  expect(setup.problems).toEqual([]);
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-two-ch-"));
  const app: App = await createDuban({ cfg, databaseUrl: "file:" + path.join(dir, "d.db"), clock, channels: setup.channels, log, evidenceDir: path.join(dir, "evidence") });
  cleanup.push(() => app.close());
  return { app, aibot, wecom, clock, lines, names: setup.channels.map((c) => c.name) };
}

const texts = (w: FakeWecom, to: string) => w.appMessages.filter((m) => m.touser === to).map((m) => m.body.text?.content ?? m.body.markdown?.content ?? `[${m.msgtype}]`);
const aibotTo = (a: FakeAibotServer, chat: string) => a.sent.filter((s) => s.chatid === chat);

describe("智能机器人 + 自建应用 in one process", () => {
  it("a group report is answered by the 智能机器人 on its req_id; the 督办员 who never wrote to it hear by the 自建应用; a repeat is handled once", async () => {
    const { app, aibot, wecom, names, lines } = await setup();
    expect(names).toEqual(["wecom-aibot", "wecom-app"]);
    const { reqId } = aibot.pushText({ userid: "zhangsan", chatid: CHAT, content: "@督办助手 /上报 村务公开栏三个月未更新 #村务公开", msgid: "m-1" });
    await until(async () => (await app.db.item.count()) === 1 && texts(wecom, "ban1").length > 0 && texts(wecom, "ban2").length > 0, "the report and the office's notices").catch(async (e) => {
      console.log(JSON.stringify(lines.filter((l) => l.level !== "debug" || /wecom/.test(String(l.event))), null, 1).slice(0, 6000));
      console.log(JSON.stringify(await app.db.outbox.findMany(), null, 1).slice(0, 4000));
      console.log(JSON.stringify(wecom.requests), JSON.stringify(aibot.sent).slice(0, 2000));
      throw e;
    });
    await app.sender.idle();
    // the answer: on the callback's req_id, in the group, naming #1
    const answer = aibotTo(aibot, CHAT);
    expect(answer).toHaveLength(1);
    expect(answer[0]).toMatchObject({ cmd: "aibot_respond_msg", reqId });
    expect(answer[0].body.stream.content).toMatch(/已登记 #1/);
    // the notice to each 督办员: by the 自建应用 (they never wrote to the 智能机器人)
    expect(texts(wecom, "ban1")[0]).toMatch(/#1/);
    expect(texts(wecom, "ban2")[0]).toMatch(/#1/);
    expect(aibot.sent.some((s) => s.chatid === "ban1" || s.chatid === "ban2")).toBe(false);
    // the answer's row remembers the channel and account it came by (a reply goes back that way)
    const answerRow = await app.db.outbox.findFirstOrThrow({ where: { targetId: CHAT } });
    expect(answerRow).toMatchObject({ channel: "wecom-aibot", account: CREDS.botId, replyHandle: reqId, status: "sent" });
    // the same msgid again (a redelivery after a reconnect): handled once
    const before = aibot.sent.length + wecom.appMessages.length;
    aibot.pushText({ userid: "zhangsan", chatid: CHAT, content: "@督办助手 /上报 村务公开栏三个月未更新 #村务公开", msgid: "m-1" });
    aibot.pushText({ userid: "zhangsan", content: "/我的", msgid: "m-2" }); // a later message: proof the repeat was read
    await until(() => aibotTo(aibot, "zhangsan").length === 1, "the answer to /我的");
    await app.sender.idle();
    expect(await app.db.item.count()).toBe(1);
    expect(aibot.sent.length + wecom.appMessages.length).toBe(before + 1);
    // /healthz: 200, both channels connected, nothing waiting
    const r = await createWeb({ duban: app, now: () => new Date(), evidenceDir: "/nonexistent" }).request("/healthz");
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ok: true, database: true, outbox: { waiting: 0, oldestSeconds: null } });
    // the 智能机器人's connection dropped: not healthy until it is back
    aibot.dropConnections();
    await until(async () => (await (await createWeb({ duban: app, now: () => new Date(), evidenceDir: "/x" }).request("/healthz")).json()).channels[0].ok === false, "healthz to notice the drop");
  });

  it("proactive work: the 交办 notice and the deadline reminder reach the group by the 智能机器人; the leaders' digest goes by the 自建应用", async () => {
    const { app, aibot, wecom, clock } = await setup();
    aibot.addChat(CHAT); // the bot is a member of 东村工作群 (it can post there before anyone wrote)
    // 钱督办 writes to the 智能机器人 privately: from then on it reaches him too
    aibot.pushText({ userid: "ban1", content: "/上报 村务公开栏三个月未更新 @东村 @张三 截止:3月4日", msgid: "m-1" });
    await until(() => aibotTo(aibot, "ban1").length === 1 && aibotTo(aibot, CHAT).length === 1, "the answer and the 交办 notice").catch(async (e) => {
      console.log(JSON.stringify(await app.db.outbox.findMany(), null, 1).slice(0, 5000));
      throw e;
    });
    await app.sender.idle();
    expect(aibotTo(aibot, "ban1")[0].cmd).toBe("aibot_respond_msg");
    const notice = aibotTo(aibot, CHAT)[0];
    expect(notice.cmd).toBe("aibot_send_msg"); // proactive: nobody in the group wrote
    expect(notice.body.markdown.content).toMatch(/【交办】#1/);
    expect(notice.body.markdown.content).toContain("<@zhangsan>");
    // the next workday 09:00: one workday before the deadline, the group is reminded
    clock.set(new Date("2026-03-03T09:00:00+08:00"));
    await app.tick();
    await app.sender.idle();
    const reminder = aibotTo(aibot, CHAT).slice(1);
    expect(reminder.map((s) => s.cmd)).toEqual(["aibot_send_msg"]);
    expect(reminder[0].body.markdown.content).toMatch(/督办提醒/);
    // Monday 08:30: every 领导 gets the weekly digest privately, by the 自建应用
    clock.set(new Date("2026-03-09T08:30:00+08:00"));
    await app.tick();
    await app.sender.idle();
    const leaders = example().members.filter((m) => m.roles.includes("领导")).map((m) => m.id);
    expect(leaders.length).toBeGreaterThan(0);
    for (const id of leaders) expect(texts(wecom, id).join("\n"), id).toMatch(/周报/);
    expect(aibot.sent.some((s) => leaders.includes(s.chatid))).toBe(false);
  });

  it("a 自建应用 whose secret is refused does not start: the log names WECOM_AGENT_SECRET, and the 智能机器人 tries the people it would have reached", async () => {
    const { app, aibot, wecom, lines } = await setup({ secret: "wrong-secret" });
    expect(lines.find((l) => l.event === "channel.start_failed")).toMatchObject({ channel: "wecom-app" });
    expect(lines.some((l) => String(l.check ?? "").includes("WECOM_AGENT_SECRET"))).toBe(true);
    aibot.addChat("ban1"); // a member the platform lets the bot write to
    aibot.pushText({ userid: "zhangsan", content: "/上报 村务公开栏三个月未更新", msgid: "m-1" });
    await until(() => aibotTo(aibot, "zhangsan").length === 1 && aibotTo(aibot, "ban1").length === 1, "the answer and 钱督办's notice");
    await app.sender.idle();
    // 钱督办 never wrote to the 智能机器人, and the 自建应用 is down: the 智能机器人 sends it itself
    expect(aibotTo(aibot, "ban1")[0]).toMatchObject({ cmd: "aibot_send_msg" });
    expect(wecom.appMessages).toEqual([]);
    // /healthz says so: 503, the 自建应用 not connected, the 智能机器人 connected
    const r = await createWeb({ duban: app, now: () => new Date(), evidenceDir: "/nonexistent" }).request("/healthz");
    expect(r.status).toBe(503);
    const h = await r.json();
    expect(h.database).toBe(true);
    expect(h.channels).toEqual([
      { name: "wecom-aibot", account: CREDS.botId, ok: true },
      { name: "wecom-app", account: expect.any(String), ok: false },
    ]);
  });

  it("the 智能机器人 alone tries every person itself (the platform decides)", async () => {
    const { app, aibot, names } = await setup({ app: false });
    expect(names).toEqual(["wecom-aibot"]);
    aibot.addChat("ban1");
    aibot.pushText({ userid: "zhangsan", content: "/上报 村务公开栏三个月未更新", msgid: "m-1" });
    await until(() => aibotTo(aibot, "ban1").length === 1, "the notice to 钱督办");
    await app.sender.idle();
    expect(aibotTo(aibot, "ban1")[0].cmd).toBe("aibot_send_msg");
  });
});
