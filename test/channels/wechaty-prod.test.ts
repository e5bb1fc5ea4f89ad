// Production transport: a wrong token or an unreachable puppet service must show in the log at once.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../helpers.ts";

it("an unreachable puppet service is logged as wechaty.error within seconds, not silent", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-prod-"));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      WECHATY_PUPPET_SERVICE_TOKEN: "puppet_service_wrong_token",
      WECHATY_PUPPET_SERVICE_ENDPOINT: "127.0.0.1:9", // loopback, nothing listens there
      WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: "true",
      DATABASE_URL: "file:" + path.join(dir, "duban.db"),
      DUBAN_WEB_PORT: "0",
      DUBAN_EVIDENCE_DIR: path.join(dir, "evidence"),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const started = Date.now();
  const line = await new Promise<Record<string, unknown> | null>((resolve) => {
    let buf = "";
    const timer = setTimeout(() => resolve(null), 20_000);
    child.stderr.on("data", (d) => {
      buf += d;
      for (const l of buf.split("\n")) {
        if (!l.startsWith("{")) continue;
        const j = JSON.parse(l);
        if (j.event === "wechaty.error") {
          clearTimeout(timer);
          resolve(j);
        }
      }
    });
  });
  child.kill("SIGKILL");
  expect(line, "no wechaty.error in the log").not.toBeNull();
  expect(String(line!.error)).toMatch(/UNAVAILABLE|ECONNREFUSED|token/i);
  expect(Date.now() - started).toBeLessThan(20_000);
});

it("a group or contact lookup that never answers is a definite failure (nothing was said yet: safe to retry)", async () => {
  const { wechatySender } = await import("../../src/channels/wechaty/adapter.ts");
  const { DefiniteSendFailure } = await import("../../src/core/ports.ts");
  const never = () => new Promise<never>(() => {});
  const bot = { Room: { find: never }, Contact: { find: never } } as any;
  const t = wechatySender(bot, { maxBytes: 2000, perTarget: 20, windowMs: 60_000 }, 100);
  const started = Date.now();
  await expect(t.sendText({ kind: "room", id: "r1" }, "你好", [])).rejects.toBeInstanceOf(DefiniteSendFailure);
  await expect(t.sendText({ kind: "contact", id: "c1" }, "你好", [])).rejects.toBeInstanceOf(DefiniteSendFailure);
  await expect(t.overhead!({ kind: "room", id: "r1" }, ["c1"])).rejects.toBeInstanceOf(DefiniteSendFailure);
  expect(Date.now() - started).toBeLessThan(2_000);
});
