// Every command × every role (SPEC §1 and the "who" column of §3): allowed, or refused with the reason.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { commands } from "../commands/index.ts";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseConfig } from "../src/config/load.ts";
import { EXAMPLE_CONFIG, bot } from "./helpers.ts";

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
  节点: REGISTERED,
  查询: REGISTERED,
  我的: REGISTERED,
  逾期: REGISTERED,
  统计: REGISTERED,
  通报: OFFICE,
  台账: [...OFFICE, "负责人"],
  总结: OFFICE,
  看板: [...OFFICE, "负责人"],
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
      expect(await b.ask("lisi", cmd, "东村工作群")).toBe(`只有责任人张三或东村负责人可以${cmd.includes("进展") ? "记录进展" : cmd.includes("整改") ? "提交整改" : "申请延期"} #${no}，请联系他们办理`);
    expect(await b.ask("chenqi", `/进展 #${no} 在办`, "西村工作群")).toMatch(/^只有责任人张三或东村负责人/);
    expect(await b.ask("wangwu", `/进展 #${no} 负责人督促中`, "东村工作群")).toBe(`已记录 #${no} 的整改进展`);
  });

  it("认领 needs a unit; a 督办员 has none", async () => {
    await b.say("zhangsan", "/上报 无人认领的问题", "东村工作群");
    const no = (await b.db.item.findFirstOrThrow({ orderBy: { no: "desc" } })).no;
    expect(await b.ask("ban1", `/认领 #${no}`)).toBe("你不属于任何单位，不能认领问题，如需登记单位请联系作风整顿办");
  });

});

// SPEC §1: nobody who ever submitted a rectification (any round), nor the assignee, nor the unit's 负责人
describe("销号: separation of duties (office staff who also worked on the item)", () => {
  // 钱督办 and 周九 are also cadres here: 钱督办 a member of 东村, 周九 (河坝社区's 负责人) a 领导 too
  const cfgText = readFileSync(EXAMPLE_CONFIG, "utf8")
    .replace("{ id: ban1, name: 钱督办, roles: [督办员] }", "{ id: ban1, name: 钱督办, unit: 东村, roles: [督办员] }")
    .replace("{ id: zhoujiu, name: 周九, unit: 河坝社区, roles: [负责人] }", "{ id: zhoujiu, name: 周九, unit: 河坝社区, roles: [负责人, 领导] }");
  let t: Awaited<ReturnType<typeof bot>>;
  beforeAll(async () => {
    t = await bot({ cfg: parseConfig(cfgText) });
  });
  afterAll(async () => {
    await t.close();
  });
  const latest = async () => (await t.db.item.findFirstOrThrow({ orderBy: { no: "desc" } })).no;

  it("who submitted in round 1 cannot close after a 退回 and someone else's resubmission", async () => {
    await t.say("ban2", "/上报 公开栏未更新 @东村 @钱督办 截止:12月30日");
    const no = await latest();
    await t.say("ban1", `/整改 #${no} 已更新`); // 钱督办, the assignee, submits round 1
    await t.say("ban2", `/退回 #${no} 照片不清`);
    await t.say("ban2", `/交办 #${no} @东村 @张三 截止:12月30日`); // reassigned: 钱督办 is no longer the assignee
    await t.say("zhangsan", `/整改 #${no} 已补拍`, "东村工作群");
    expect((await t.db.item.findFirstOrThrow({ where: { no } })).assigneeId).toBe("zhangsan");
    expect(await t.ask("ban1", `/销号 #${no}`)).toBe(`你是 #${no} 整改的提交人，不能自己销号，请由其他督办员或领导验收`);
    expect(await t.ask("ban2", `/销号 #${no}`)).toMatch(new RegExp(`^#${no} 已验收销号`));
  });

  it("the current submitter", async () => {
    await t.say("ban2", "/上报 台账不全 @东村 @钱督办 截止:12月30日");
    const no = await latest();
    await t.say("ban1", `/整改 #${no} 已补齐`);
    expect(await t.ask("ban1", `/销号 #${no}`)).toBe(`你是 #${no} 整改的提交人，不能自己销号，请由其他督办员或领导验收`);
  });

  it("the assignee, though someone else submitted", async () => {
    await t.say("ban2", "/上报 值班表未公示 @东村 @钱督办 截止:12月30日");
    const no = await latest();
    await t.say("wangwu", `/整改 #${no} 已公示`, "东村工作群");
    expect(await t.ask("ban1", `/销号 #${no}`)).toBe(`你是 #${no} 的责任人，不能自己销号，请由其他督办员或领导验收`);
  });

  it("the unit's 负责人, though someone else submitted", async () => {
    await t.say("ban2", "/上报 代办点中午无人 @河坝社区 @何网格员 截止:12月30日");
    const no = await latest();
    await t.say("xiaohe", `/整改 #${no} 已排班`, "河坝社区工作群");
    expect(await t.ask("zhoujiu", `/销号 #${no}`)).toBe(`你是 #${no} 承办单位河坝社区的负责人，不能销号本单位的问题，请由其他督办员或领导验收`);
    expect(await t.ask("shuji", `/销号 #${no}`)).toMatch(new RegExp(`^#${no} 已验收销号`));
  });
});

describe("/绑定, /解绑 and /匿名查询", () => {
  let t: Awaited<ReturnType<typeof bot>>;
  /** the outbox rows each command wrote, read inside its transaction */
  const rows: { text: string | null; ephemeral: boolean }[] = [];
  beforeAll(async () => {
    let last = 0;
    t = await bot({
      beforeCommit: async (tx) => {
        const got = await tx.$queryRaw<{ id: number | bigint; text: string | null; ephemeral: number | bigint | boolean }[]>`SELECT "id", "text", "ephemeral" FROM "Outbox" WHERE "id" > ${last} ORDER BY "id"`;
        for (const r of got) rows.push({ text: r.text, ephemeral: r.ephemeral === true || Number(r.ephemeral) === 1 });
        if (got.length) last = Number(got[got.length - 1].id);
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it("/绑定 without a unit says what the group is bound to; /解绑 undoes it and says what it was", async () => {
    expect(await t.ask("ban1", "/绑定", "财政所工作群")).toBe("本群尚未绑定单位；绑定请发送 /绑定 单位名称");
    await t.say("ban1", "/绑定 镇财政所", "财政所工作群");
    expect(await t.ask("ban1", "/绑定", "财政所工作群")).toBe("本群已绑定到镇财政所，该单位的交办、提醒发到本群；如需解除，发送 /解绑");
    expect(await t.ask("ban1", "/解绑", "财政所工作群")).toBe("本群已解除与镇财政所的绑定，该单位的交办、提醒不再发到本群");
    expect((await t.db.room.findFirstOrThrow({ where: { topic: "财政所工作群" } })).unitName).toBeNull();
    // 镇财政所 has no group now: its 负责人 hears privately
    const got = await t.say("ban1", "/上报 报销不规范 @镇财政所 截止:12月31日");
    expect(got.map((o) => o.room ?? o.to)).toEqual(["ban1", "zhaoliu"]);
    expect(await t.ask("ban1", "/解绑", "财政所工作群")).toBe("本群没有绑定单位，无需解绑；如需绑定，请发送 /绑定 单位名称");
    expect(await t.ask("ban1", "/解绑", "东村工作群")).toMatch(/^本群已解除与东村的绑定，该单位的交办、提醒不再发到本群\n注意：配置文件中东村的 rooms 仍列有本群/);
    expect(await t.ask("zhangsan", "/解绑", "东村工作群")).toBe("/解绑 仅限督办员、领导使用");
  });

  it("/匿名查询: by the 查询码 only, privately, no identity; only its hash is stored", async () => {
    const reply = await t.ask("xiaomei", "/匿名上报 村主任优亲厚友 #懒政怠政");
    const code = /查询码：([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(reply)?.[1];
    expect(code).toBeDefined();
    const item = await t.db.item.findFirstOrThrow({ where: { anonymous: true } });
    expect(item.queryCodeHash).toBe(createHash("sha256").update(code!.replace("-", "")).digest("hex"));
    expect(JSON.stringify(await t.db.item.findMany())).not.toContain(code!.replace("-", ""));
    expect(await t.ask("xiaomei", `/匿名查询 ${code}`)).toBe(`你匿名反映的问题 #${item.no}\n状态：待交办\n作风整顿办正在核实，尚未交办\n此条回复发出后不留存。`);
    await t.say("ban1", `/交办 #${item.no} @西村 @小梅 截止:12月31日 措施:重新评定`);
    // typed in lower case, without the dash, with O for 0: the same code; anyone holding it may ask
    const typed = code!.replace("-", "").toLowerCase().replace(/0/g, "o");
    const answer = await t.ask("laozhang", `/匿名查询 ${typed}`);
    expect(answer).toBe(`你匿名反映的问题 #${item.no}\n状态：整改中\n已交办西村整改，限 12月31日 前完成\n整改措施：重新评定\n此条回复发出后不留存。`);
    expect(answer).not.toMatch(/小梅|xiaomei/);
    // the report's reply (with the code) and every answer by code are deleted once sent
    // (ephemeral rows are also sealed: their text is not readable in the database at all)
    expect(rows.filter((r) => r.text?.includes("查询码：") || r.text?.includes("你匿名反映的问题"))).toEqual([]);
    expect(rows.filter((r) => r.ephemeral).length).toBeGreaterThanOrEqual(3);
    expect(await t.ask("xiaomei", "/匿名查询 ABCDE-ABCDE")).toBe("查询码不正确，请核对后重新发送；查询码丢失无法补发，如需再次反映，可私聊发送 /匿名上报");
    expect(await t.ask("xiaomei", "/匿名查询 123")).toMatch(/查询码应为 10 位字母和数字/);
  });
});
