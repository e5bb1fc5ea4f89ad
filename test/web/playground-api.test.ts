// The browser playground's API (src/playground/web.ts) is for this machine only: nobody logs in to it,
// so it must refuse other hosts (DNS rebinding), other sites' requests (CSRF), nonsense clock jumps, and
// npm start must refuse to offer it on a non-loopback address.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.ts";
import { openPlayground, type Playground } from "../../src/playground/web.ts";
import { createWeb } from "../../src/web/server.ts";
import { example, ROOT } from "../helpers.ts";

let pg: Playground;
let web: ReturnType<typeof createWeb>;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-pg-"));
  pg = await openPlayground(example(), { databaseUrl: "file:" + path.join(dir, "d.db"), evidenceDir: path.join(dir, "evidence"), log: silentLogger, wall: new Date("2026-03-02T09:00:00+08:00") });
  web = createWeb({ duban: pg.duban, now: () => pg.clock.now(), evidenceDir: path.join(dir, "evidence"), playground: (w) => pg.mount(w) });
});
afterAll(async () => pg?.close());

const LOCAL = { Host: "127.0.0.1:7070" };
const say = (headers: Record<string, string>, body = JSON.stringify({ from: "zhangsan", room: "东村工作群", text: "/帮助" })) => web.request("/api/say", { method: "POST", headers, body });

describe("the playground's API answers this machine only", () => {
  it("a loopback Host and JSON from the page itself: the message is said and answered", async () => {
    const r = await say({ ...LOCAL, "Content-Type": "application/json", Origin: "http://127.0.0.1:7070" });
    expect(r.status).toBe(200);
    const state = await (await web.request("/api/state", { headers: LOCAL })).json();
    expect(state.log.some((e: { from: string; text?: string }) => e.from === "bot" && /你可以用/.test(e.text ?? ""))).toBe(true);
  });

  it("another Host (a rebound DNS name) is refused, reads too", async () => {
    expect((await web.request("/api/state", { headers: { Host: "evil.example:7070" } })).status).toBe(403);
    expect((await say({ Host: "evil.example", "Content-Type": "application/json" })).status).toBe(403);
  });

  it("another site's form or script is refused: a foreign Origin, or a body that is not JSON (a form needs no preflight)", async () => {
    expect((await say({ ...LOCAL, "Content-Type": "application/json", Origin: "https://evil.example" })).status).toBe(403);
    expect((await say({ ...LOCAL, "Content-Type": "text/plain" })).status).toBe(415);
    expect((await say({ ...LOCAL, "Content-Type": "application/x-www-form-urlencoded" }, "from=shuji&text=/看板")).status).toBe(415);
  });

  it("the clock: an impossible date, a jump far past the campaign, or backwards are refused in Chinese", async () => {
    const clock = (to: string) => web.request("/api/clock", { method: "POST", headers: { ...LOCAL, "Content-Type": "application/json" }, body: JSON.stringify({ to }) });
    const before = pg.clock.now().getTime();
    for (const to of ["2026-13-45T09:00", "2026-02-30T09:00", "2026-03-05T25:00", "2099-01-01T09:00", "2026-01-01T09:00"]) {
      const r = await clock(to);
      expect(r.status, to).toBe(400);
      expect((await r.json()).error, to).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(pg.clock.now().getTime() - before).toBeLessThan(5_000); // (the playground clock runs on from where it is)
    expect((await clock("2026-03-03T09:00")).status).toBe(200);
  });

  it("npm start refuses to offer the playground on an address other machines reach", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-pg-host-"));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHATY_|WECOM_|DUBAN_|DATABASE_URL$)/.test(k)));
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: { ...env, DATABASE_URL: "file:" + path.join(dir, "d.db"), DUBAN_WEB_HOST: "0.0.0.0", DUBAN_WEB_PORT: "0" } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("只在本机地址上提供");
  }, 60_000);
});

describe("a playground never runs on a database a production channel has used", () => {
  it("npm start without channel settings on such a database refuses, saying why (a lost variable?)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-pg-prod-"));
    const url = "file:" + path.join(dir, "prod.db");
    const { openDatabase } = await import("../../src/db/client.ts");
    const { db, read } = await openDatabase(url);
    await db.outbox.create({ data: { targetKind: "contact", targetId: "ban1", text: "x", notBefore: new Date(), createdAt: new Date(), channel: "wecom-aibot" } });
    await read.$disconnect();
    await db.$disconnect();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHATY_|WECOM_|DUBAN_|DATABASE_URL$)/.test(k)));
    for (const args of [["src/main.ts"], ["src/main.ts", "console"]]) {
      const r = spawnSync(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: { ...env, DATABASE_URL: url, DUBAN_WEB_PORT: "0" }, input: "" });
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("是生产通道（wecom-aibot）用过的");
    }
  }, 90_000);
});
