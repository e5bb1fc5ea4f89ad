import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../src/config/load.ts";
import { EXAMPLE_CONFIG, ROOT, example } from "./helpers.ts";

const problems = (yaml: string): string[] => {
  try {
    parseConfig(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("config was accepted");
};
const base = readFileSync(EXAMPLE_CONFIG, "utf8");

describe("duban.yaml (SPEC §5)", () => {
  it("the example township loads with the seeds' structure", () => {
    const c = example();
    expect(c.org).toBe("青山镇");
    expect(c.campaign.phases.map((p) => p.name)).toEqual(["谋划部署", "查摆问题", "整改落实", "巩固提升"]);
    expect(c.campaign.categories.filter((x) => x.special).map((x) => x.code)).toEqual(["村务公开", "工程建设", "办事难"]);
    expect(c.units.some((u) => u.name === "镇财政所")).toBe(true);
    expect(c.members.filter((m) => m.roles.includes("领导")).length).toBeGreaterThanOrEqual(2);
  });

  it("the SPEC's own sample parses", () => {
    // a copy of SPEC §5's sample, kept in the repository (a user's clone has nothing beside it)
    const yaml = readFileSync(path.join(ROOT, "test/fixtures/spec-sample.yaml"), "utf8");
    expect(parseConfig(yaml).units[0].name).toBe("东村");
  });

  it("an unknown key names the key and its line", () => {
    const p = problems(base.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ncolour: red"));
    expect(p).toEqual([expect.stringMatching(/^第 5 行，colour：未知的配置项「colour」/)]);
  });

  it("a wrong type names the field and the value", () => {
    const p = problems(base.replace("monthlyCircularWorkday: 3", "monthlyCircularWorkday: 三"));
    expect(p[0]).toMatch(/第 \d+ 行，schedule\.monthlyCircularWorkday：.*（当前值：三）/);
  });

  it("a duplicate member id, a head who is not a member, an unknown unit", () => {
    let p = problems(base.replace("{ id: lisi, name: 李四", "{ id: zhangsan, name: 李四"));
    expect(p.join("\n")).toMatch(/members\[\d+\]\.id：成员 id「zhangsan」重复/);
    p = problems(base.replace("head: wangwu,", "head: nobody,"));
    expect(p.join("\n")).toMatch(/第 \d+ 行，units\[1\]\.head：负责人「nobody」不在 members 名单中/);
    p = problems(base.replace("{ id: lisi, name: 李四, unit: 东村 }", "{ id: lisi, name: 李四, unit: 北村 }"));
    expect(p.join("\n")).toMatch(/members\[\d+\]\.unit：单位「北村」不在 units 名单中（当前值：北村）/);
  });

  it("a bad date, a bad role, broken YAML", () => {
    expect(problems(base.replace("start: 2026-02-10", "start: 2026-02-30")).join()).toMatch(/campaign\.start：不是有效日期/);
    expect(problems(base.replace("roles: [督办员] }", "roles: [书记] }")).join()).toMatch(/角色只能是 领导、督办员、负责人、干部/);
    expect(problems("org: [\n").join()).toMatch(/第 \d+ 行：YAML 格式错误/);
  });

  it("start-up refuses a wrong config with the Chinese message and no stack trace", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-cfg-"));
    const file = path.join(dir, "duban.yaml");
    writeFileSync(file, base.replace("head: wangwu,", "head: nobody,"));
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts")], {
      env: { ...process.env, DUBAN_CONFIG: file, DATABASE_URL: "file:" + path.join(dir, "x.db") },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("配置文件");
    expect(r.stderr).toContain("负责人「nobody」不在 members 名单中");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
