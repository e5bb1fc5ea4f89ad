// The replay harness of SPEC §6, run as a user runs it: `npm run replay -- <config> <script>`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commands } from "../commands/index.ts";
import { EXAMPLE_CONFIG, ROOT } from "./helpers.ts";

const run = (script: string, extra: string[] = [], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/replay/cli.ts"), EXAMPLE_CONFIG, script, ...extra], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return r;
};
const tmpScript = (lines: object[]) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-script-"));
  const file = path.join(dir, "s.jsonl");
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  return file;
};

describe("replay", () => {
  it("the demo month is byte-identical on a second run and matches the reviewed transcript", () => {
    const demo = path.join(ROOT, "examples/demo.jsonl");
    const a = run(demo);
    const b = run(demo);
    expect(a.status, a.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    // examples/demo.expected.jsonl is the reviewed story; regenerate it with
    //   npm run replay -- examples/duban.example.yaml examples/demo.jsonl > examples/demo.expected.jsonl
    expect(a.stdout).toBe(readFileSync(path.join(ROOT, "examples/demo.expected.jsonl"), "utf8"));
    const lines = a.stdout.trim().split("\n").map((l) => JSON.parse(l));
    // every command of the foundation appears in the demo
    const said = readFileSync(demo, "utf8").trim().split("\n").map((l) => JSON.parse(l).text ?? "");
    for (const c of commands.map((x) => x.name))
      expect(said.some((t: string) => new RegExp(`(^|\\s)/${c}(\\s|$)`).test(t)), `/${c} is not in the demo`).toBe(true);
    expect(lines.every((l) => typeof l.at === "string" && ("room" in l ? Array.isArray(l.mentions) : "to" in l))).toBe(true);
  }, 240_000); // two whole replays of the demo (five weeks, two circulars with charts and ledgers)

  it("stop / start: what was said while down is handled once when the bot comes back", () => {
    const r = run(
      tmpScript([
        { at: "2026-03-02T09:00:00+08:00", room: "东村工作群", from: "zhangsan", text: "/上报 公开栏未更新", id: "m1" },
        { at: "2026-03-02T10:00:00+08:00", stop: true },
        { at: "2026-03-02T10:30:00+08:00", room: "东村工作群", from: "lisi", text: "/认领 #1", id: "m2" },
        { at: "2026-03-02T11:00:00+08:00", start: true },
        { at: "2026-03-02T11:05:00+08:00", room: "东村工作群", from: "zhangsan", text: "/上报 公开栏未更新", id: "m1" },
        { at: "2026-03-02T11:06:00+08:00", room: "东村工作群", from: "lisi", text: "/认领 #1", id: "m2" },
      ]),
    );
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const claims = out.filter((o) => o.text?.startsWith("已认领 #1"));
    expect(claims).toEqual([{ at: "2026-03-02T11:00:00+08:00", room: "东村工作群", text: "已认领 #1：公开栏未更新\n截止日期待作风整顿办确定", mentions: ["lisi"] }]);
    expect(out.filter((o) => o.text?.startsWith("已登记")).length).toBe(1);
  });

  it("a bad script line is named, in Chinese", () => {
    const r = run(tmpScript([{ at: "2026-03-02T09:00:00+08:00", text: "/我的" }]));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("脚本第 1 行：消息需要 from");
  });

  it("an `at` without an offset is in the config's timezone, whatever the machine's", () => {
    const lines = (at: string) => [
      { at, room: "东村工作群", from: "zhangsan", text: "/上报 公开栏未更新" },
      { at: at.replace("09:00", "09:01"), from: "zhangsan", text: "/我的" },
    ];
    const withOffset = run(tmpScript(lines("2026-03-02T09:00:00+08:00")));
    const bare = run(tmpScript(lines("2026-03-02T09:00:00")), [], { TZ: "America/New_York" });
    const spaced = run(tmpScript(lines("2026-03-02 09:00")), [], { TZ: "UTC" });
    expect(withOffset.status, withOffset.stderr).toBe(0);
    expect(bare.stdout).toBe(withOffset.stdout);
    expect(spaced.stdout).toBe(withOffset.stdout);
    expect(JSON.parse(withOffset.stdout.split("\n")[0]).at).toBe("2026-03-02T09:00:00+08:00");
  });

  it("errors while running name the script line, in Chinese", () => {
    const back = run(tmpScript([{ at: "2026-03-02T09:00:00+08:00", advance: true }, { at: "2026-03-01T09:00:00+08:00", from: "zhangsan", text: "/我的" }]));
    expect(back.status).toBe(2);
    expect(back.stderr).toContain("脚本第 2 行：时间只能向前");
    const photo = run(tmpScript([{ at: "2026-03-02T09:00:00+08:00", from: "zhangsan", image: "没有这张.png" }]));
    expect(photo.status).toBe(2);
    expect(photo.stderr).toMatch(/脚本第 1 行：找不到图片文件 .*没有这张\.png/);
    const key = run(tmpScript([{ at: "2026-03-02T09:00:00+08:00", from: "zhangsan", txt: "/我的" }]));
    expect(key.status).toBe(2);
    expect(key.stderr).toContain("脚本第 1 行：未知的字段「txt」");
    expect(back.stderr + photo.stderr + key.stderr).not.toMatch(/\bat \w+\.\w+ \(|Error:/); // no stack trace
  });
});

