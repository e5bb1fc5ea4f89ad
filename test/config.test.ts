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
    expect(r.stderr).toContain("负责人写的是「nobody」，成员 members 里没有这个 id");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("office names default from org and can be set", () => {
    expect(example().office).toEqual({ name: "青山镇干部作风整顿工作领导小组办公室", short: "作风整顿办" });
    const without = base.replace(/^office:.*$/m, "");
    expect(parseConfig(without.replace("org: 青山镇", "org: 白水乡")).office).toEqual({ name: "白水乡干部作风整顿工作领导小组办公室", short: "作风整顿办" });
    const c = parseConfig(without + "\noffice: { name: 青山镇作风建设领导小组办公室, short: 作风办 }\n");
    expect(c.office).toEqual({ name: "青山镇作风建设领导小组办公室", short: "作风办" });
    expect(problems(without + "\noffice: { nam: x }\n")).toEqual([expect.stringMatching(/^第 \d+ 行，office：没有「nam」这一项，你是不是想写 name？$/)]);
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

// Config errors a clerk can fix (issue "Everyday use", point 3): each broken file → exactly the messages
// shown, one mistake → one message, in the clerk's words (line, 第 N 个单位（名称）, what to write).
describe("duban.yaml errors a clerk can fix", () => {
  // a small valid township; the line numbers below are this text's
  const small = `org: 青山镇
campaign:
  name: 2026年干部作风整顿
  start: 2026-02-10
  end: 2026-11-20
  phases:
    - { name: 谋划部署, end: 2026-02-18 }
    - { name: 查摆问题, end: 2026-04-01, handIn: 2026-03-20 }
    - { name: 巩固提升, end: 2026-11-20 }
  categories:
    - { code: 八项规定, name: 违反中央八项规定精神, aliases: [八项] }
    - { code: 服务环境, name: 服务不强、环境不优, aliases: [服务] }
units:
  - { name: 东村, kind: 村, head: wangwu, leader: fuzhen, rooms: [东村工作群] }
  - { name: 西村, kind: 村, head: chenqi, leader: fuzhen, rooms: [西村工作群] }
members:
  - { id: fuzhen, name: 周副镇长, roles: [领导] }
  - { id: ban1, name: 钱督办, roles: [督办员] }
  - { id: wangwu, name: 王五, unit: 东村, roles: [负责人] }
  - { id: zhangsan, name: 张三, unit: 东村 }
  - { id: chenqi, name: 陈七, unit: 西村, roles: [负责人] }
  - { id: xiaomei, name: 小梅, unit: 西村 }
rooms:
  - { name: 作风整顿工作群, circular: true }
reminders: { at: "09:00" }
calendar: { extraHolidays: [2026-10-09], extraWorkdays: [] }
`;
  /** the small township with each [from, to] replaced once (a replacement that does not apply fails the test) */
  const broken = (...edits: [string, string][]) =>
    edits.reduce((y, [from, to]) => {
      expect(y, from).toContain(from);
      return y.replace(from, to);
    }, small);
  const EAST = "- { name: 东村, kind: 村, head: wangwu, leader: fuzhen, rooms: [东村工作群] }";
  const WEST = "- { name: 西村, kind: 村, head: chenqi, leader: fuzhen, rooms: [西村工作群] }";

  it("the small township is valid", () => {
    expect(parseConfig(small).units.map((u) => u.name)).toEqual(["东村", "西村"]);
  });

  const cases: [string, [string, string][], string[]][] = [
    // ── YAML slips, from the raw text, with the line as it is and as it should be ──
    ["full-width colon after a key", [["org: 青山镇", "org：青山镇"]], ["第 1 行：用了中文冒号「：」，应改为英文冒号「:」后加空格。这一行现在是「org：青山镇」，应写成「org: 青山镇」"]],
    [
      "full-width colon inside { }",
      [["{ name: 东村,", "{ name： 东村,"]],
      [`第 14 行：用了中文冒号「：」，应改为英文冒号「:」后加空格。这一行现在是「${EAST.replace("name:", "name：")}」，应写成「${EAST}」`],
    ],
    ["a tab for indentation", [["  start: 2026-02-10", "\tstart: 2026-02-10"]], ["第 4 行：行首用了 Tab 键缩进，YAML 只能用空格缩进，请把 Tab 换成空格（每一层两个空格）。这一行现在是「start: 2026-02-10」"]],
    ["a full-width space for indentation", [["  start: 2026-02-10", "\u3000start: 2026-02-10"]], ["第 4 行：行首用了全角空格「　」，请换成半角空格（切换到英文输入法再按空格）。这一行现在是「start: 2026-02-10」"]],
    [
      "no space after -",
      [["  - { name: 东村,", "  -{ name: 东村,"]],
      [`第 14 行：「-」后面少了一个空格。这一行现在是「${EAST.replace("- ", "-")}」，应写成「${EAST}」`],
    ],
    ["no space after - in a block list", [["rooms:\n  - { name: 作风整顿工作群, circular: true }", "rooms:\n  -name: 作风整顿工作群"]], ["第 24 行：「-」后面少了一个空格。这一行现在是「-name: 作风整顿工作群」，应写成「- name: 作风整顿工作群」"]],
    ["no space after : (top level)", [["org: 青山镇", "org:青山镇"]], ["第 1 行：「org:」的冒号后面少了一个空格。这一行现在是「org:青山镇」，应写成「org: 青山镇」"]],
    [
      "no space after : (inside { })",
      [["head: chenqi,", "head:chenqi,"]],
      [`第 15 行：「head:」的冒号后面少了一个空格。这一行现在是「${WEST.replace("head: ", "head:")}」，应写成「${WEST}」`],
    ],
    [
      "full-width comma inside { }",
      [["{ name: 东村, kind", "{ name: 东村， kind"]],
      [`第 14 行：用了中文逗号「，」分隔，应改为英文逗号「,」。这一行现在是「${EAST.replace("东村,", "东村，")}」，应写成「${EAST}」`],
    ],
    [
      "an unclosed {",
      [["rooms: [西村工作群] }", "rooms: [西村工作群]"]],
      [`第 15 行：第 5 个字符的「{」没有配对的「}」，请在这一项末尾补上「}」。这一行现在是「${WEST.slice(0, -2)}」`],
    ],
    [
      "an unclosed [",
      [["rooms: [西村工作群] }", "rooms: [西村工作群 }"]],
      [`第 15 行：第 63 个字符的「[」没有配对的「]」，请在这一项末尾补上「]」。这一行现在是「${WEST.replace("群] }", "群 }")}」`],
    ],
    ["an extra }", [["reminders: { at: \"09:00\" }", "reminders: { at: \"09:00\" } }"]], ["第 25 行：第 28 个字符多了一个「}」（前面没有和它配对的「{」）。这一行现在是「reminders: { at: \"09:00\" } }」"]],
    [
      "a # in a value inside { }",
      [["{ name: 西村,", "{ name: 西村 #2,"]],
      [
        `第 15 行：「#」前面有空格，# 和它后面的字都被当成了注释，所以第 5 个字符的「{」找不到配对的「}」。如果 # 是内容的一部分，请给这个值加上英文引号。这一行现在是「${WEST.replace("西村,", "西村 #2,")}」，应写成「${WEST.replace("西村,", '"西村 #2",')}」`,
      ],
    ],
    [
      "a : in a value",
      [["  name: 2026年干部作风整顿", "  name: 2026年: 干部作风整顿"]],
      ["第 3 行：「name」的值「2026年: 干部作风整顿」里有英文冒号「:」，会被当成新的一项。请给这个值加上英文引号。这一行现在是「name: 2026年: 干部作风整顿」，应写成「name: \"2026年: 干部作风整顿\"」"],
    ],
    ["a key written twice", [["reminders: { at: \"09:00\" }", "reminders: { at: \"09:00\" }\norg: 白水乡"]], ["第 26 行：「org」写了两次，同一处每一项只能写一次。这一行现在是「org: 白水乡」"]],
    ["an empty file", [[small, ""]], ["配置文件是空的，请参照 examples/duban.example.yaml 填写"]],

    // ── keys: the nearest allowed key at that place ──
    ["a misspelt key", [["leader: fuzhen, rooms: [西", "leadr: fuzhen, rooms: [西"]], ["第 15 行，第 2 个单位（西村）：没有「leadr」这一项，你是不是想写 leader？"]],
    ["a key in the wrong case", [["leader: fuzhen, rooms: [西", "Leader: fuzhen, rooms: [西"]], ["第 15 行，第 2 个单位（西村）：「Leader」写得不对，应写 leader（大小写要一致）"]],
    ["a key in full-width letters", [["leader: fuzhen, rooms: [西", "ｌｅａｄｅｒ: fuzhen, rooms: [西"]], ["第 15 行，第 2 个单位（西村）：「ｌｅａｄｅｒ」写得不对，应写 leader（用了全角字母，请切换到英文输入法重写）"]],
    // one mistake: not also "缺少 name"
    ["a misspelt required key", [["{ name: 东村,", "{ naem: 东村,"]], ["第 14 行，第 1 个单位：没有「naem」这一项，你是不是想写 name？"]],
    ["a key at the wrong level", [["campaign:\n", "phases: []\ncampaign:\n"]], ["第 2 行：「phases」不能写在这里，它应写在 campaign 下面（注意缩进）"]],
    [
      "a key unknown anywhere",
      [["reminders:", "colour: red\nreminders:"]],
      ["第 25 行：没有「colour」这一项（未知的配置项）；这里可以写的有：org、timezone、campaign、units、members、rooms、reminders、schedule、status、sending、calendar、office"],
    ],

    // ── one mistake, one message ──
    ["a date not in YYYY-MM-DD", [["start: 2026-02-10", "start: 2026-9-1"]], ["第 4 行，campaign 的 start：2026-9-1 不是 YYYY-MM-DD 格式，应写成 2026-09-01"]],
    ["a date that does not exist", [["start: 2026-02-10", "start: 2026-02-30"]], ["第 4 行，campaign 的 start：2026-02-30 这一天不存在（2026 年 2 月没有 30 日）"]],
    ["a date written as a number", [["start: 2026-02-10", "start: 20260210"]], ["第 4 行，campaign 的 start：20260210 不是 YYYY-MM-DD 格式，应写成 2026-02-10"]],
    ["a date that is not one", [["start: 2026-02-10", "start: 二月十日"]], ["第 4 行，campaign 的 start：「二月十日」不是日期，应写成 YYYY-MM-DD 格式，如 2026-09-01"]],
    ["a phase's date not in YYYY-MM-DD (no knock-on phase order)", [["end: 2026-04-01", "end: 2026-4-1"]], ["第 8 行，第 2 个阶段（查摆问题）的 end：2026-4-1 不是 YYYY-MM-DD 格式，应写成 2026-04-01"]],
    ["a missing required key", [["  start: 2026-02-10\n", ""]], ["第 2 行，campaign：缺少 start，应写成 YYYY-MM-DD 格式的日期，如 2026-09-01"]],
    ["a missing top-level key", [["org: 青山镇\n", ""]], ["配置文件缺少 org，应写本镇（乡）名称，如 org: XX镇"]],
    ["a number where text is expected", [["{ id: ban1, name: 钱督办", "{ id: ban1, name: 12345"]], ['第 18 行，第 2 个成员（ban1）的 name：应为文字，这里写的是数字 12345；如果就是要填这个，请加上英文引号："12345"']],
    ["a list where a map is expected", [['reminders: { at: "09:00" }', "reminders: [3, 1]"]], ["第 25 行，reminders：应写成「名称: 值」的形式，这里写成了列表（[…] 或「- 」开头的几行）"]],
    ["a map where a list is expected", [["phases:\n", "phases: { name: 谋划部署 }\n  xphases:\n"]], ["第 6 行，campaign 的 phases：应写成列表，这里写成了「名称: 值」的形式（{…} 或下一层缩进的几行）", "第 7 行，campaign：没有「xphases」这一项，你是不是想写 phases？"]],
    ["one word where a list is expected", [["roles: [督办员]", "roles: 督办员"]], ["第 18 行，第 2 个成员（钱督办）的 roles：应写成列表，这里写的是「督办员」，应写成 [督办员]"]],
    ["an empty value", [["head: chenqi,", "head: ,"]], ["第 15 行，第 2 个单位（西村）的 head：应为成员 id，这里没有填内容"]],
    ["a number out of range", [['reminders: { at: "09:00" }', 'reminders: { at: "09:00", escalateLeaderAfter: 0 }']], ["第 25 行，reminders 的 escalateLeaderAfter：不能小于 1，这里写的是数字 0"]],
    ["a time without its leading 0", [['at: "09:00"', "at: 9:00"]], ['第 25 行，reminders 的 at：9:00 应写成 "09:00"']],
    ["a timezone that is not one", [["org: 青山镇", "org: 青山镇\ntimezone: Beijing"]], ["第 2 行，timezone：不是有效的时区，中国的时区写 Asia/Shanghai，这里写的是「Beijing」"]],
    ["an unknown role, near one", [["roles: [督办员]", "roles: [督办]"]], ["第 18 行，第 2 个成员（钱督办）的 roles：没有「督办」这个角色，你是不是想写 督办员？可选的有：领导、督办员、负责人、干部"]],
    ["an unknown role, a title", [["roles: [督办员]", "roles: [书记]"]], ["第 18 行，第 2 个成员（钱督办）的 roles：没有「书记」这个角色，你是不是想写 领导？可选的有：领导、督办员、负责人、干部"]],
    ["an unknown role, nothing near", [["roles: [督办员]", "roles: [xyz]"]], ["第 18 行，第 2 个成员（钱督办）的 roles：没有「xyz」这个角色，可选的有：领导、督办员、负责人、干部"]],
    ["an unknown unit kind", [["{ name: 西村, kind: 村,", "{ name: 西村, kind: 村委会,"]], ["第 15 行，第 2 个单位（西村）的 kind：没有「村委会」这个单位类型，你是不是想写 村？可选的有：村、社区、部门"]],
    // the heads are not also "not a member"
    [
      "members written as a map",
      [["members:\n", "members: { wangwu: 王五 }\nmemberList:\n"]],
      [
        "第 16 行，members：应写成列表，这里写成了「名称: 值」的形式（{…} 或下一层缩进的几行）",
        "第 17 行：没有「memberList」这一项（未知的配置项）；这里可以写的有：org、timezone、campaign、units、members、rooms、reminders、schedule、status、sending、calendar、office",
      ],
    ],
    // the members' units are not also "not in units"
    [
      "units written as a map",
      [["units:\n", "units: { 东村: 村 }\nunitList:\n"]],
      [
        "第 13 行，units：应写成列表，这里写成了「名称: 值」的形式（{…} 或下一层缩进的几行）",
        "第 14 行：没有「unitList」这一项（未知的配置项）；这里可以写的有：org、timezone、campaign、units、members、rooms、reminders、schedule、status、sending、calendar、office",
      ],
    ],
    ["circular: all", [["circular: true", "circular: all"]], ["第 24 行，第 1 个群（作风整顿工作群）的 circular：应为 true、false 或 full，这里写的是「all」"]],

    // ── people, units and groups ──
    ["a head written as the name", [["head: chenqi,", "head: 陈七,"]], ["第 15 行，第 2 个单位（西村）的 head：负责人写的是「陈七」，成员里陈七的 id 是 chenqi，应写 head: chenqi"]],
    ["a head id misspelt", [["head: chenqi,", "head: chenq,"]], ["第 15 行，第 2 个单位（西村）的 head：负责人写的是「chenq」，成员里没有这个 id，你是不是想写 chenqi（陈七）？"]],
    ["a head who is nobody", [["head: chenqi,", "head: nobody,"]], ["第 15 行，第 2 个单位（西村）的 head：负责人写的是「nobody」，成员 members 里没有这个 id；请写成员的 id，或先在 members 里加上此人"]],
    ["a leader written as the name", [["head: chenqi, leader: fuzhen", "head: chenqi, leader: 周副镇长"]], ["第 15 行，第 2 个单位（西村）的 leader：分管领导写的是「周副镇长」，成员里周副镇长的 id 是 fuzhen，应写 leader: fuzhen"]],
    [
      "a head who belongs to another unit",
      [["head: chenqi,", "head: wangwu,"]],
      ["第 15 行，第 2 个单位（西村）的 head：负责人「王五（wangwu）」属于东村，不能兼任西村的负责人，西村标了负责人的成员是陈七（chenqi），应写 head: chenqi"],
    ],
    ["two units claiming one group", [["rooms: [西村工作群]", "rooms: [东村工作群]"]], ["第 15 行，第 2 个单位（西村）的 rooms：群「东村工作群」已绑定到东村，一个群只能属于一个单位"]],
    ["a duplicate member id", [["{ id: zhangsan, name: 张三", "{ id: wangwu, name: 张三"]], ["第 20 行，第 4 个成员（张三）的 id：成员 id「wangwu」重复：第 3 个成员（王五）已经用了这个 id，每个人的 id 必须不同"]],
    ["a member's unit that is not a unit", [["{ id: zhangsan, name: 张三, unit: 东村 }", "{ id: zhangsan, name: 张三, unit: 北村 }"]], ["第 20 行，第 4 个成员（张三）的 unit：单位「北村」不在 units 名单中，你是不是想写 东村？"]],
    // a unit misspelt in units: one message (not one per member, not "head belongs to another unit")
    [
      "a unit misspelt in units",
      [["{ name: 西村, kind", "{ name: 西材, kind"]],
      ["第 21 行，第 5 个成员（陈七）的 unit：单位「西村」不在 units 名单中（共 2 个成员这样写：陈七、小梅）；units 里有「西材」，是不是那里写错了？"],
    ],
    ["a 负责人 without a unit", [["{ id: chenqi, name: 陈七, unit: 西村, roles: [负责人] }", "{ id: chenqi, name: 陈七, roles: [负责人] }"]], ["第 21 行，第 5 个成员（陈七）的 roles：「陈七」是负责人，但没有写所属单位，请加上 unit: 单位名称"]],
    ["a category alias twice", [["aliases: [服务] }", "aliases: [八项] }"]], ["第 12 行，第 2 个问题类别（服务环境）：类别代码或别名「八项」重复：第 1 个类别已经用了"]],

    // ── dates of the campaign ──
    ["campaign end before start (the phases are not blamed too)", [["  end: 2026-11-20", "  end: 2025-11-20"]], ["第 5 行，campaign 的 end：结束日期 2025-11-20 早于开始日期 2026-02-10"]],
    ["campaign start after end (the phases are not blamed too)", [["start: 2026-02-10", "start: 2027-02-10"]], ["第 5 行，campaign 的 end：结束日期 2026-11-20 早于开始日期 2027-02-10"]],
    ["a phase ending after the campaign", [["{ name: 巩固提升, end: 2026-11-20 }", "{ name: 巩固提升, end: 2026-12-20 }"]], ["第 9 行，第 3 个阶段（巩固提升）的 end：阶段「巩固提升」的结束日期 2026-12-20 晚于整顿结束日期 2026-11-20（campaign 的 end）"]],
    ["a phase ending before the campaign", [["{ name: 谋划部署, end: 2026-02-18 }", "{ name: 谋划部署, end: 2026-01-18 }"]], ["第 7 行，第 1 个阶段（谋划部署）的 end：阶段「谋划部署」的结束日期 2026-01-18 早于整顿开始日期 2026-02-10（campaign 的 start）"]],
    ["phases out of order", [["{ name: 查摆问题, end: 2026-04-01, handIn: 2026-03-20 }", "{ name: 查摆问题, end: 2026-02-15 }"]], ["第 8 行，第 2 个阶段（查摆问题）的 end：阶段「查摆问题」的结束日期 2026-02-15 早于上一阶段「谋划部署」的结束日期 2026-02-18，阶段要按时间先后排列"]],
    ["an extra holiday not in YYYY-MM-DD", [["extraHolidays: [2026-10-09]", "extraHolidays: [2026-10-9]"]], ["第 26 行，calendar 的 extraHolidays：2026-10-9 不是 YYYY-MM-DD 格式，应写成 2026-10-09"]],
    ["an extra holiday in Chinese", [["extraHolidays: [2026-10-09]", "extraHolidays: [2026年10月9日]"]], ["第 26 行，calendar 的 extraHolidays：2026年10月9日 不是 YYYY-MM-DD 格式，应写成 2026-10-09"]],

    // ── independent mistakes stay separate, in the order of the file ──
    [
      "three independent mistakes",
      [["head: chenqi,", "head: 陈七,"], ["start: 2026-02-10", "start: 2026-9-1"], ["roles: [督办员]", "roles: [督办]"]],
      [
        "第 4 行，campaign 的 start：2026-9-1 不是 YYYY-MM-DD 格式，应写成 2026-09-01",
        "第 15 行，第 2 个单位（西村）的 head：负责人写的是「陈七」，成员里陈七的 id 是 chenqi，应写 head: chenqi",
        "第 18 行，第 2 个成员（钱督办）的 roles：没有「督办」这个角色，你是不是想写 督办员？可选的有：领导、督办员、负责人、干部",
      ],
    ],
    [
      "a YAML slip and a key written twice",
      [["org: 青山镇", "org：青山镇"], ["extraWorkdays: [] }", "extraWorkdays: [] }\ncalendar: {}"]],
      [
        "第 1 行：用了中文冒号「：」，应改为英文冒号「:」后加空格。这一行现在是「org：青山镇」，应写成「org: 青山镇」",
        "第 27 行：「calendar」写了两次，同一处每一项只能写一次。这一行现在是「calendar: {}」",
      ],
    ],
    ["a line indented too far", [["  start: 2026-02-10", "    start: 2026-02-10"]], ["第 4 行：这一行比上一行多缩进了 2 个空格：上一行「name: 2026年干部作风整顿」已经写了值，这一行应和它左边对齐。这一行现在是「start: 2026-02-10」"]],
    [
      "a parser error nothing above explains, in Chinese",
      [["org: 青山镇", "org: 青山镇\n\"timezone: Asia/Shanghai"]],
      ["第 2 行：这一行或上一行没有写成「名称: 值」的形式（冒号是英文冒号，后面要有空格）。这一行现在是「\"timezone: Asia/Shanghai」"],
    ],
    [
      "two YAML slips",
      [["org: 青山镇", "org：青山镇"], ["  start: 2026-02-10", "\tstart: 2026-02-10"]],
      [
        "第 1 行：用了中文冒号「：」，应改为英文冒号「:」后加空格。这一行现在是「org：青山镇」，应写成「org: 青山镇」",
        "第 4 行：行首用了 Tab 键缩进，YAML 只能用空格缩进，请把 Tab 换成空格（每一层两个空格）。这一行现在是「start: 2026-02-10」",
      ],
    ],
  ];
  it.each(cases)("%s", (_, edits, expected) => {
    expect(problems(broken(...edits))).toEqual(expected);
  });

  it("what is not a mistake is not reported: a # comment, a ：or # inside quotes or a value, a URL in a comment", () => {
    const ok = broken(
      ["org: 青山镇", "org: 青山镇   # 本镇：青山 http://example.org"],
      ["name: 2026年干部作风整顿", 'name: "2026年: 干部作风整顿 #1"'],
      ["name: 服务不强、环境不优", "name: 服务不强：环境不优"],
      ["{ name: 谋划部署,", "{ name: 谋划部署#1,"],
    );
    const c = parseConfig(ok);
    expect([c.org, c.campaign.name, c.campaign.categories[1].name, c.campaign.phases[0].name]).toEqual(["青山镇", "2026年: 干部作风整顿 #1", "服务不强：环境不优", "谋划部署#1"]);
  });
});
