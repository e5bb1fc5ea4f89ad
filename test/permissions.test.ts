// Every command × every role (SPEC §1 and the "who" column of §3): allowed, or refused with the reason.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { commands } from "../commands/index.ts";
import { bot } from "./helpers.ts";

const ROLES = { 领导: "shuji", 督办员: "ban1", 负责人: "wangwu", 干部: "zhangsan", 陌生人: "stranger" } as const;
type R = keyof typeof ROLES;
const ALL: R[] = ["领导", "督办员", "负责人", "干部", "陌生人"];
const REGISTERED: R[] = ["领导", "督办员", "负责人", "干部"];
const OFFICE: R[] = ["领导", "督办员"];

// the contract, written out by hand from SPEC §1/§3 — not derived from the command files
const EXPECTED: Record<string, R[]> = {
  上报: ALL,
  匿名上报: ALL,
  交办: OFFICE,
  指派: ["负责人"],
  认领: REGISTERED,
  进展: REGISTERED,
  整改: REGISTERED,
  销号: OFFICE,
  退回: OFFICE,
  延期: REGISTERED,
  同意延期: OFFICE,
  拒绝延期: OFFICE,
  长期: OFFICE,
  查询: REGISTERED,
  我的: REGISTERED,
  逾期: REGISTERED,
  统计: REGISTERED,
  通报: OFFICE,
  台账: [...OFFICE, "负责人"],
  总结: OFFICE,
  绑定: OFFICE,
  解绑: OFFICE,
  匿名查询: ALL,
  帮助: ALL,
};
const REFUSAL = /^\/\S+ 仅限.+使用$|^你还不在.*名册中/;

let b: Awaited<ReturnType<typeof bot>>;
let minute = 0;
beforeAll(async () => {
  b = await bot();
});
// one minute per case, so the group's rate limit (20 a minute) never holds a reply back
beforeEach(async () => {
  await b.at(new Date(Date.parse("2026-03-02T09:00:00+08:00") + ++minute * 60_000).toISOString());
});
afterAll(async () => {
  await b.close();
});

describe("permission matrix", () => {
  it("covers every command", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(commands.map((c) => c.name).sort());
  });

  for (const c of commands) {
    for (const role of ALL) {
      const want = EXPECTED[c.name]?.includes(role);
      it(`/${c.name} × ${role}: ${want ? "allowed" : "refused"}`, async () => {
        const who = ROLES[role];
        // no arguments: an allowed sender gets the usage (or the answer), a refused one the reason
        const room = c.where === "private" ? undefined : "东村工作群";
        const text = c.name === "上报" || c.name === "匿名上报" ? `/${c.name}` : `/${c.name} #999`;
        const got = await b.say(who, text, room);
        const reply = got.find((o) => (room ? o.mentions?.includes(who) : o.to === who));
        expect(reply, `no reply to ${text} from ${role}`).toBeDefined();
        if (want) expect(reply!.text).not.toMatch(REFUSAL);
        else expect(reply!.text).toMatch(REFUSAL);
      });
    }
  }
  it("the aliases share their command's rule", async () => {
    expect(await b.ask("zhangsan", "/分派 #1 @东村 截止:明天", "东村工作群")).toBe("/交办 仅限督办员、领导使用");
    expect(await b.ask("zhangsan", "/验收 #1", "东村工作群")).toBe("/销号 仅限督办员、领导使用");
    expect(await b.ask("zhangsan", "/驳回 #1 不行", "东村工作群")).toBe("/退回 仅限督办员、领导使用");
  });
});

describe("rules that depend on the item", () => {
  it("进展/整改/延期 only by the assignee or the unit's 负责人", async () => {
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:12月30日");
    const no = (await b.db.item.findFirstOrThrow({ orderBy: { no: "desc" } })).no;
    for (const cmd of [`/进展 #${no} 在办`, `/整改 #${no} 完成`, `/延期 #${no} 12月31日 忙`])
      expect(await b.ask("lisi", cmd, "东村工作群")).toBe(`只有责任人张三或东村负责人可以${cmd.includes("进展") ? "记录进展" : cmd.includes("整改") ? "提交整改" : "申请延期"} #${no}`);
    expect(await b.ask("chenqi", `/进展 #${no} 在办`, "西村工作群")).toMatch(/^只有责任人张三或东村负责人/);
    expect(await b.ask("wangwu", `/进展 #${no} 负责人督促中`, "东村工作群")).toBe(`已记录 #${no} 的整改进展`);
  });

  it("认领 needs a unit; a 督办员 has none", async () => {
    await b.say("zhangsan", "/上报 无人认领的问题", "东村工作群");
    const no = (await b.db.item.findFirstOrThrow({ orderBy: { no: "desc" } })).no;
    expect(await b.ask("ban1", `/认领 #${no}`)).toBe("你不属于任何单位，不能认领问题");
  });
});
