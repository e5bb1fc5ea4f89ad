// npm run doctor (src/doctor.ts): one Chinese line a check, against the local fakes of the WeCom HTTP
// APIs; exit 1 when something needs fixing, naming the variable or key to check.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeWecom, type FakeWecom } from "../fakes/wecom-http-server.ts";
import { EXAMPLE_CONFIG, ROOT } from "../helpers.ts";

let wecom: FakeWecom;
let dir: string;
beforeAll(async () => {
  wecom = await startFakeWecom({ users: ["zhangsan"], webhookKeys: ["hook-ok"] });
  dir = mkdtempSync(path.join(os.tmpdir(), "duban-doctor-"));
  const yaml = readFileSync(EXAMPLE_CONFIG, "utf8").replace("rooms:\n", "rooms:\n  - { name: 东村工作群, webhook: hook-ok }\n  - { name: 西村工作群, webhook: hook-wrong }\n");
  writeFileSync(path.join(dir, "duban.yaml"), yaml);
});
afterAll(async () => wecom?.close());

function doctor(extra: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHATY_|WECOM_|DUBAN_|DATABASE_URL$)/.test(k))), DATABASE_URL: "file:" + path.join(dir, "none.db"), DUBAN_CONFIG: path.join(dir, "duban.yaml"), WECOM_WEBHOOK_BASE: wecom.base, ...extra };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/doctor.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

it("names what to fix: a refused 自建应用 secret, a wrong 群机器人 key; what works is ticked", async () => {
  const r = await doctor({ WECOM_CORP_ID: wecom.opts.corpId, WECOM_AGENT_ID: String(wecom.opts.agentId), WECOM_AGENT_SECRET: "wrong-secret", WECOM_API_BASE: wecom.base });
  expect(r.code, r.out).toBe(1);
  expect(r.out).toMatch(/✓ 配置文件：.*青山镇/);
  expect(r.out).toMatch(/✗ 自建应用：.*WECOM_AGENT_SECRET/);
  expect(r.out).toMatch(/✗ 群机器人：.*西村工作群/);
  expect(r.out).toMatch(/有 2 项需要处理/);
}, 60_000);

it("all in order: exit 0; the 智能机器人 is not connected to (it would push a running bot off) unless asked", async () => {
  const yaml = readFileSync(path.join(dir, "duban.yaml"), "utf8").replace("  - { name: 西村工作群, webhook: hook-wrong }\n", "");
  writeFileSync(path.join(dir, "ok.yaml"), yaml);
  const r = await doctor({ DUBAN_CONFIG: path.join(dir, "ok.yaml"), WECOM_CORP_ID: wecom.opts.corpId, WECOM_AGENT_ID: String(wecom.opts.agentId), WECOM_AGENT_SECRET: wecom.opts.secret, WECOM_API_BASE: wecom.base, WECOM_AIBOT_ID: "aib-x", WECOM_AIBOT_SECRET: "s" });
  expect(r.code, r.out).toBe(0);
  expect(r.out).toMatch(/✓ 自建应用：.*access_token 获取成功/);
  expect(r.out).toMatch(/✓ 群机器人：.*东村工作群/);
  expect(r.out).toMatch(/· 智能机器人：.*npm run doctor -- --aibot/);
}, 60_000);
