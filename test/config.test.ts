import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../src/config/load.ts";
import { EXAMPLE_CONFIG, ROOT, bot, example } from "./helpers.ts";

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

  it("office names default from org and can be set", () => {
    expect(example().office).toEqual({ name: "青山镇干部作风整顿工作领导小组办公室", short: "作风整顿办" });
    const without = base.replace(/^office:.*$/m, "");
    expect(parseConfig(without.replace("org: 青山镇", "org: 白水乡")).office).toEqual({ name: "白水乡干部作风整顿工作领导小组办公室", short: "作风整顿办" });
    const c = parseConfig(without + "\noffice: { name: 青山镇作风建设领导小组办公室, short: 作风办 }\n");
    expect(c.office).toEqual({ name: "青山镇作风建设领导小组办公室", short: "作风办" });
    expect(problems(without + "\noffice: { nam: x }\n").join()).toMatch(/未知的配置项「nam」/);
  });

  it("replies name the configured office, never a hard-coded one", async () => {
    const b = await bot({ cfg: parseConfig(base.replace(/^office:.*$/m, "office: { name: 青山镇作风建设办公室, short: 作风办 }")) });
    const texts = [
      await b.ask("zhangsan", "/上报 公开栏未更新 截止:3月20日", "东村工作群"),
      await b.ask("zhangsan", "/认领 #1", "东村工作群"),
      await b.ask("laozhang", "/帮助", "东村工作群"),
    ];
    await b.say("ban1", "/交办 #1 @东村 @张三 截止:3月20日");
    texts.push(await b.ask("zhangsan", "/延期 #1 3月31日 需要时间", "东村工作群"), await b.ask("zhangsan", "/整改 #1 已更新", "东村工作群"));
    expect(texts.join("\n")).not.toMatch(/作风整顿办/);
    expect(texts.filter((t) => t.includes("作风办"))).toHaveLength(5);
    await b.close();
  });

  it("rooms[].circular: true, false or full", () => {
    const c = parseConfig(base.replace("{ name: 作风整顿工作群, circular: true }", "{ name: 作风整顿工作群, circular: full }"));
    expect(c.rooms[0].circular).toBe("full");
    expect(problems(base.replace("{ name: 作风整顿工作群, circular: true }", "{ name: 作风整顿工作群, circular: all }")).join()).toMatch(/rooms\[1\]\.circular：应为 true、false 或 full/);
  });

  it("a unit head who belongs to another unit; two units claiming one group; a former name taken", () => {
    let p = problems(base.replace("head: chenqi,", "head: wangwu,"));
    expect(p.join("\n")).toMatch(/第 \d+ 行，units\[2\]\.head：负责人「王五（wangwu）」属于东村，不能兼任西村的负责人/);
    p = problems(base.replace("rooms: [西村工作群]", "rooms: [东村工作群]"));
    expect(p.join("\n")).toMatch(/第 \d+ 行，units\[2\]\.rooms\[1\]：群「东村工作群」已绑定到东村，一个群只能属于一个单位/);
    p = problems(base.replace("{ name: 西村, kind: 村,", "{ name: 西村, renamedFrom: [东村], kind: 村,"));
    expect(p.join("\n")).toMatch(/units\[2\]\.renamedFrom\[1\]：旧名「东村」已被现有单位使用/);
  });
});

describe("renamed and removed units at start-up (SPEC §5)", () => {
  // the unit 东村 becomes 东村村 (its group keeps its name)
  const rename = (yaml: string) => yaml.replace(/东村(?!工作群)/g, "东村村");
  const renamed = (yaml: string) => rename(yaml).replace("{ name: 东村村, kind: 村,", "{ name: 东村村, renamedFrom: [东村], kind: 村,");
  async function history(dir: string) {
    const b = await bot({ databaseFile: path.join(dir, "d.db") });
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月20日");
    await b.say("zhangsan", "/上报 路灯不亮", "东村工作群");
    await b.say("ban1", "/交办 #2 @东村 截止:3月31日");
    await b.close();
  }

  it("items of a unit no longer in the file stop the bot, naming the unit and the count; nothing is changed", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-rename-"));
    await history(dir);
    const gone = parseConfig(rename(base));
    const err = await bot({ cfg: gone, databaseFile: path.join(dir, "d.db") }).then(
      (b) => (b.close(), null),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(/^数据库中有 2 个问题属于单位「东村」，但配置文件 units 中已没有这个单位。如果是改了名，请在新单位下写 renamedFrom: \[东村\]/)]);
    // said so in renamedFrom: the items, their timeline snapshots and the unit's group move along
    const b = await bot({ cfg: parseConfig(renamed(base)), databaseFile: path.join(dir, "d.db") });
    expect((await b.db.item.findMany({ orderBy: { no: "asc" } })).map((i) => i.unitName)).toEqual(["东村村", "东村村"]);
    expect(await b.db.event.count({ where: { toUnit: "东村" } })).toBe(0);
    expect((await b.db.room.findFirstOrThrow({ where: { topic: "东村工作群" } })).unitName).toBe("东村村");
    // (message ids of their own: the first run's t1, t2 … are already handled)
    expect((await b.say("wangwu", "/我的", "东村工作群", "after-1"))[0].text).toMatch(/^你有 2 个未销号问题/);
    // the old name still finds the unit when typed
    expect((await b.say("ban1", "/逾期 @东村", undefined, "after-2"))[0].text).toBe("东村村目前没有逾期问题");
    await b.close();
  });
});
