// The production entry (`npm start` = src/main.ts, a child process) switches channels on from the
// environment and the config (SPEC §8): here the 智能机器人 (WECOM_AIBOT_*) and a 群机器人 for one group
// (rooms[].webhook), against the local fakes of both protocols; a half-set pair of variables refuses to start.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { FakeAibotServer } from "../fakes/wecom-aibot-server.ts";
import { startFakeWecom } from "../fakes/wecom-http-server.ts";
import { EXAMPLE_CONFIG, ROOT } from "../helpers.ts";

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

function start(env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanup.push(() => void child.kill("SIGKILL"));
  const lines: Record<string, any>[] = [];
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += d;
    const all = stderr.split("\n");
    stderr = all.pop()!;
    for (const l of all) if (l.startsWith("{")) lines.push(JSON.parse(l));
      else lines.push({ event: "text", text: l });
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, lines, exited };
}

async function until(pred: () => boolean, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it("npm start with WECOM_AIBOT_* and a rooms[].webhook: a private /上报 is answered by the 智能机器人, the unit's group told by its 群机器人", async () => {
  const aibot = await new FakeAibotServer({ botId: "aib-prod", secret: "prod-secret" }).listen();
  cleanup.push(() => aibot.close());
  const wecom = await startFakeWecom({ webhookKeys: ["hook-dongcun"] });
  cleanup.push(() => wecom.close());
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-start-"));
  // the sample township, its 东村工作群 reached by a 群机器人; no quiet hours (the test runs at any hour)
  const yaml = readFileSync(EXAMPLE_CONFIG, "utf8")
    .replace("rooms:\n", "rooms:\n  - { name: 东村工作群, webhook: hook-dongcun }\n")
    .replace('quiet: ["21:00", "08:00"]', 'quiet: ["00:00", "00:00"]');
  writeFileSync(path.join(dir, "duban.yaml"), yaml);
  const { lines } = start({
    DUBAN_CONFIG: path.join(dir, "duban.yaml"),
    DATABASE_URL: "file:" + path.join(dir, "duban.db"),
    DUBAN_EVIDENCE_DIR: path.join(dir, "evidence"),
    WECOM_AIBOT_ID: "aib-prod",
    WECOM_AIBOT_SECRET: "prod-secret",
    WECOM_AIBOT_WS_URL: aibot.wsUrl,
    WECOM_WEBHOOK_BASE: wecom.base,
    DUBAN_WEB_PORT: "0",
  });
  await until(() => lines.some((l) => l.event === "duban.start"), "duban.start");
  expect(lines.find((l) => l.event === "duban.start")!.channels).toEqual(["wecom-aibot", "wecom-webhook"]);
  expect(lines.some((l) => l.event === "wecom_aibot.connected")).toBe(true);
  expect(lines.find((l) => l.event === "wecom-webhook.ready")?.rooms).toEqual(["东村工作群"]);
  aibot.pushText({ userid: "ban1", content: "/上报 村务公开栏三个月未更新 @东村 @张三 截止:两个工作日", msgid: "p-1" });
  await until(() => aibot.sent.some((s) => s.chatid === "ban1") && wecom.robotMessages.some((m) => m.msgtype !== "file"), "the answer and the group's notice");
  const answer = aibot.sent.find((s) => s.chatid === "ban1")!;
  expect(answer.cmd).toBe("aibot_respond_msg");
  expect(answer.body.stream.content).toMatch(/已登记并交办 #1/);
  const notice = wecom.robotMessages.find((m) => m.msgtype !== "file")!;
  expect(notice.key).toBe("hook-dongcun");
  expect(JSON.stringify(notice.body)).toMatch(/【交办】#1/);
  expect(JSON.stringify(notice.body)).toContain("zhangsan"); // @张三 by the robot's mentioned_list
}, 60_000);

it("npm start with only half of a pair of variables refuses to start, naming the missing one", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-start-"));
  const { lines, exited } = start({ DATABASE_URL: "file:" + path.join(dir, "duban.db"), WECOM_AIBOT_ID: "aib-prod", WECOM_AIBOT_SECRET: "" });
  expect(await exited).toBe(2);
  expect(lines.map((l) => l.text ?? "").join("\n")).toContain("缺少 WECOM_AIBOT_SECRET");
}, 30_000);
