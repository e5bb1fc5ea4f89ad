// Issue "Everyday use", points 5–7: the loop closes with everyone concerned, changes say they are
// changes, one voice in every message. Through the real pipeline (mock puppet, temp SQLite, virtual clock).
import path from "node:path";
import ExcelJS from "exceljs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bot, type Out } from "./helpers.ts";

const G = "东村工作群"; // 东村: 王五 (负责人), 张三, 李四
const W = "西村工作群"; // 西村: 陈七 (负责人), 小梅
let b: Awaited<ReturnType<typeof bot>>;
beforeEach(async () => {
  b = await bot();
});
afterEach(async () => {
  await b.close();
});

const where = (o: Out) => o.room ?? o.to!;
/** every target received at most one message */
const once = (got: Out[]) => expect(got.map(where).filter((w, i, all) => all.indexOf(w) !== i)).toEqual([]);

describe("5. the loop closes with everyone concerned", () => {
  it("/销号 reaches the unit's group (@ the assignee and 负责人) and the reporter privately, each once", async () => {
    await b.say("lisi", "/上报 村务公开栏三个月未更新 #村务公开", G);
    await b.say("ban1", "/交办 #1 @东村 @张三 截止:3月20日 措施:立即更新公开栏");
    await b.say("zhangsan", "/整改 #1 公开栏已更新", G);
    const got = await b.say("ban2", "/销号 #1 整改到位");
    expect(got[0]).toMatchObject({ to: "ban2", text: expect.stringMatching(/^#1 已验收销号/) });
    const group = got.filter((o) => o.room === G);
    expect(group).toHaveLength(1);
    expect(group[0].text).toBe("【销号】#1 村务公开栏三个月未更新 已验收销号。\n验收意见：整改到位");
    expect(group[0].mentions!.sort()).toEqual(["wangwu", "zhangsan"]);
    // the reporter, privately; the assignee and 负责人 were @-mentioned in their group: no second copy
    expect(got.filter((o) => o.to === "lisi")).toEqual([expect.objectContaining({ text: expect.stringContaining("你反映的问题 #1 村务公开栏三个月未更新 已整改到位") })]);
    expect(got.filter((o) => o.to === "zhangsan" || o.to === "wangwu")).toEqual([]);
    once(got);
  });

  it("a unit without a group: the assignee and 负责人 privately, once each; an anonymous reporter is never told", async () => {
    await b.say("xiaomei", "/匿名上报 财政所报销要看关系");
    await b.say("ban1", "/交办 #1 @镇财政所 @钟会计 截止:3月20日 措施:公开报销流程");
    await b.say("kuaiji", "/整改 #1 已公开报销流程");
    const got = await b.say("ban1", "/退回 #1 流程未上墙");
    expect(got.map(where).sort()).toEqual(["ban1", "kuaiji", "zhaoliu"]);
    for (const o of got.slice(1)) {
      expect(o.text).toContain("【退回重整】#1 匿名反映问题\n退回原因：流程未上墙");
      expect(o.text).not.toContain("看关系");
    }
    await b.say("kuaiji", "/整改 #1 已上墙");
    const closed = await b.say("ban2", "/销号 #1");
    expect(closed.map(where).sort()).toEqual(["ban2", "kuaiji", "zhaoliu"]); // nobody else: no reporter is stored
    once(closed);
    // the 负责人 as assignee: one message, not two
    await b.say("ban1", "/上报 票据未装订 @镇财政所 @赵六 截止:3月20日");
    await b.say("zhaoliu", "/整改 #2 已装订");
    const one = await b.say("ban1", "/销号 #2");
    expect(one.map(where)).toEqual(["ban1", "zhaoliu"]);
  });

  it("/退回 reaches the unit's group with the reason, @-mentioning the assignee and 负责人", async () => {
    await b.say("ban1", "/上报 惠民政策公示不及时 @东村 @张三 截止:3月20日");
    await b.say("zhangsan", "/整改 #1 已公示", G);
    const got = await b.say("ban2", "/退回 #1 照片看不清公示日期");
    const group = got.filter((o) => o.room === G);
    expect(group).toHaveLength(1);
    expect(group[0].text).toBe("【退回重整】#1 惠民政策公示不及时\n退回原因：照片看不清公示日期\n请继续整改，完成后再次发送 /整改 #1 整改情况，并附照片。");
    expect(group[0].mentions!.sort()).toEqual(["wangwu", "zhangsan"]);
    once(got);
  });

  it("/长期 sends the plan and its milestones to the unit: its group, or its 负责人", async () => {
    await b.say("ban1", "/上报 村级财务收支长期未公开 @东村 截止:3月31日");
    const got = await b.say("ban1", "/长期 #1 计划:分三步建立财务公开制度 节点:4月30日,6月30日,9月30日");
    const group = got.filter((o) => o.room === G);
    expect(group).toHaveLength(1);
    expect(group[0].text).toContain("【长期整改】#1 村级财务收支长期未公开");
    expect(group[0].text).toContain("长期整改计划：分三步建立财务公开制度");
    expect(group[0].text).toContain("节点：1. 4月30日　2. 6月30日　3. 9月30日");
    expect(group[0].mentions).toEqual(["wangwu"]);
    await b.say("ban1", "/上报 报销不规范 @镇财政所 截止:3月31日");
    const head = await b.say("ban1", "/长期 #2 计划:建立报销台账 节点:4月30日,5月29日");
    expect(head.filter((o) => o.to === "zhaoliu")).toEqual([expect.objectContaining({ text: expect.stringContaining("节点：1. 4月30日　2. 5月29日") })]);
  });

  it("/节点 marks a milestone done (assignee or 负责人), records it, and shows it in /查询 and the ledger", async () => {
    await b.say("ban1", "/上报 村级财务收支长期未公开 @东村 @张三 截止:3月31日");
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月31日");
    expect(await b.ask("zhangsan", "/节点 #1 1", G)).toMatch(/^#1：.*不是长期整改问题|不是长期整改问题/);
    await b.say("ban1", "/长期 #1 计划:分三步建立财务公开制度 节点:4月30日,6月30日,9月30日");
    expect(await b.ask("zhangsan", "/节点 #2 1", G)).toMatch(/^#2 不是长期整改问题，没有节点；记录进展请发送 \/进展 #2/);
    expect(await b.ask("lisi", "/节点 #1 1", G)).toMatch(/^只有责任人张三或东村负责人可以报告节点完成 #1/);
    expect(await b.ask("zhangsan", "/节点 #1 4", G)).toMatch(/^#1 没有第 4 个节点，现有节点：1\. 4月30日/);
    await b.at("2026-03-05T10:00:00+08:00");
    expect(await b.ask("zhangsan", "/节点 #1 1 财务公开栏已上墙", G)).toBe("已记录 #1 第 1 个节点（截止 4月30日）完成\n还有 2 个节点，下一个：第 2 个，截止 6月30日");
    expect(await b.ask("wangwu", "/节点 #1 1", G)).toBe("#1 第 1 个节点（截止 4月30日）已于3月5日完成，无需重复报告；下一个节点是第 2 个，截止 6月30日");
    expect((await b.db.milestone.findMany({ orderBy: { seq: "asc" } })).map((m) => m.done)).toEqual([true, false, false]);
    const ev = await b.db.event.findMany({ where: { kind: "节点" } });
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ actorId: "zhangsan", detail: "第 1 个节点（截止 2026-04-30）已完成：财务公开栏已上墙" });
    const card = await b.ask("wangwu", "/查询 #1", G);
    expect(card).toContain("节点：1. 截止4月30日 ✓3月5日完成　2. 截止6月30日　3. 截止9月30日");
    expect(card).toContain("张三 节点：第 1 个节点（截止 4月30日）已完成：财务公开栏已上墙");
    // the ledger's 整改进展 says it too
    const file = (await b.say("ban1", "/台账")).find((o) => o.file)!.file!;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(b.sim.outDir, file));
    const list = wb.getWorksheet("问题清单")!;
    const header = list.getRow(1).values as unknown[];
    const progress = String(list.getRow(2).getCell(header.indexOf("整改进展")).value);
    expect(progress).toBe("节点 1/3 已完成：1. 4月30日✓（3月5日完成）；2. 6月30日；3. 9月30日");
  });

  it("an evidence photo goes, as a file, to every verifier the 待验收 notice went to — one row each", async () => {
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月20日");
    const submitted = await b.say("zhangsan", "/整改 #1 已更新", G);
    const notified = submitted.filter((o) => o.text?.startsWith("【待验收】")).map((o) => o.to).sort();
    expect(notified).toEqual(["ban1", "ban2"]);
    const got = await b.image("zhangsan", G);
    expect(got[0]).toMatchObject({ room: G, text: "已收到 #1 的整改佐证照片（第 1 张）" });
    expect(got.filter((o) => o.file).map((o) => o.to).sort()).toEqual(notified);
    const second = await b.image("zhangsan", G);
    expect(second.filter((o) => o.file).map((o) => o.to).sort()).toEqual(notified);
    expect(await b.db.outbox.count({ where: { filePath: { not: null } } })).toBe(4);
    // the timeline names the photo, not a file
    expect((await b.db.event.findMany({ where: { kind: "佐证" }, orderBy: { id: "asc" } })).map((e) => e.detail)).toEqual(["第 1 张照片", "第 2 张照片"]);
    expect(await b.ask("wangwu", "/查询 #1", G)).toContain("张三 佐证：第 2 张照片");
  });

  it("a photo in another group within the window gets a hint, not silence; it is no evidence", async () => {
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月20日");
    await b.say("zhangsan", "/整改 #1 已更新", G);
    const got = await b.image("zhangsan", "作风整顿工作群");
    expect(got).toEqual([expect.objectContaining({ room: "作风整顿工作群", mentions: ["zhangsan"], text: "#1 的整改照片请发在提交 /整改 的同一个聊天里（「东村工作群」群），请在 09:10 前到那里重新发送，这张不计入佐证" })]);
    expect(await b.db.evidence.count()).toBe(0);
    // another person in that chat, or after the window: still silence
    expect(await b.image("lisi", G)).toEqual([]);
    await b.at("2026-03-02T09:11:00+08:00");
    expect(await b.image("zhangsan", "作风整顿工作群")).toEqual([]);
  });

  it("a photo sent privately to the bot within the window counts for a /整改 made in a group (the 智能机器人 gets group photos only with an @)", async () => {
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月20日");
    expect(await b.ask("zhangsan", "/整改 #1 已更新", G)).toContain("请在 10 分钟内在本群或私聊我发送整改照片作为佐证");
    const got = await b.image("zhangsan");
    expect(got.find((o) => o.to === "zhangsan")?.text).toBe("已收到 #1 的整改佐证照片（第 1 张）");
    expect(await b.db.evidence.count()).toBe(1);
    // someone else's private photo is not theirs
    expect(await b.image("lisi")).toEqual([]);
    expect(await b.db.evidence.count()).toBe(1);
  });
});

describe("6. changes say they are changes", () => {
  it("a second /交办 to another unit is a 改派: what changed, the old unit told it is no longer theirs, one event", async () => {
    await b.say("ban1", "/上报 村道路灯坏了三个月无人修"); // privately: no group has seen its words
    await b.say("ban1", "/交办 #1 @东村 @张三 截止:3月20日 措施:排查维修");
    const got = await b.say("ban1", "/交办 #1 @西村 @小梅 截止:3月31日 措施:联系供电所维修");
    expect(got[0]).toMatchObject({ to: "ban1", text: "已改派 #1\n承办单位：东村 → 西村\n责任人：张三 → 小梅\n截止：3月20日 → 3月31日\n整改措施：排查维修 → 联系供电所维修" });
    const old = got.filter((o) => o.room === G);
    expect(old).toHaveLength(1);
    expect(old[0].text).toBe("【改派】#1 已改由西村承办，不再由东村办理，本单位无需再整改或报送。");
    expect(old[0].mentions!.sort()).toEqual(["wangwu", "zhangsan"]);
    const now = got.filter((o) => o.room === W);
    expect(now).toHaveLength(1);
    expect(now[0].text).toMatch(/^【交办】#1 村道路灯坏了三个月无人修\n单位：西村　责任人：小梅/);
    expect(now[0].mentions).toEqual(["xiaomei"]);
    const events = await b.db.event.findMany({ orderBy: { id: "asc" } });
    expect(events.map((e) => e.kind)).toEqual(["上报", "交办", "改派"]);
    expect(events[2]).toMatchObject({ toUnit: "西村", toAssignee: "xiaomei", toDeadline: "2026-03-31" });
    expect(events[2].detail).toBe("承办单位：东村 → 西村；责任人：张三 → 小梅；截止：2026-03-20 → 2026-03-31；整改措施：排查维修 → 联系供电所维修");
    expect(await b.ask("ban1", "/查询 #1")).toContain("钱督办 改派：承办单位：东村 → 西村；责任人：张三 → 小梅；截止：3月20日 → 3月31日");
  });

  it("a second /交办 that only moves the deadline is a 调整, told to the unit with what changed", async () => {
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月20日");
    const got = await b.say("ban1", "/交办 #1 @东村 截止:3月27日");
    expect(got[0].text).toBe("已调整 #1\n截止：3月20日 → 3月27日");
    expect(got.filter((o) => o.room === G)).toEqual([expect.objectContaining({ mentions: ["zhangsan"], text: expect.stringMatching(/^【调整】#1 公开栏未更新\n[\s\S]*\n变动：截止：3月20日 → 3月27日\n/) })]);
    expect((await b.db.event.findMany()).map((e) => e.kind)).toEqual(["上报", "交办", "调整"]);
    // the same again: nothing changes, nothing is recorded
    expect(await b.ask("ban1", "/交办 #1 @东村 截止:3月27日")).toMatch(/内容与原来相同，未作改动；如需调整/);
    expect(await b.db.event.count()).toBe(3);
  });

  it("an item only claimed (no deadline yet) gets its first 交办, not a change", async () => {
    await b.say("wangwu", "/上报 村干部上班时间打牌", G);
    await b.say("lisi", "/认领 #1", G);
    const got = await b.say("ban1", "/交办 #1 @东村 截止:3月25日 措施:约谈当事村干部");
    expect(got[0].text).toBe("已交办 #1 给东村·李四，截止 3月25日");
    expect(got.find((o) => o.room === G)!.text).toMatch(/^【交办】#1 村干部上班时间打牌/);
    expect((await b.db.event.findMany({ orderBy: { id: "asc" } })).map((e) => e.kind)).toEqual(["上报", "认领", "交办"]);
  });

  it("the old unit of an anonymous item is told without the reporter's words", async () => {
    await b.say("xiaomei", "/匿名上报 东村有人吃拿卡要");
    await b.say("ban1", "/交办 #1 @东村 截止:3月20日 措施:核查收费");
    const got = await b.say("ban1", "/交办 #1 @西村 截止:3月20日 措施:核查收费");
    for (const o of got.filter((x) => x.room)) expect(o.text).not.toContain("吃拿卡要");
    expect(got.find((o) => o.room === W)!.text).toContain("#1 匿名反映问题");
  });
});

describe("7. one voice", () => {
  it("#N is followed by a space; dates as 3月20日; errors say what to do next", async () => {
    await b.say("ban1", "/上报 问题甲 @东村 @张三 截止:3月20日");
    expect(await b.ask("zhangsan", "/我的", G)).toBe("你有 1 个未销号问题：\n#1 【东村】问题甲（整改中，截止3月20日，张三）");
    expect(await b.ask("ban1", "/查询 #99")).toBe("没有 #99 号问题，请发送 /我的 查看你的问题编号");
    expect(await b.ask("ban1", "/销号 #1")).toBe("#1：该问题当前为「整改中」，尚未提交整改，不能销号，请等待承办单位发送 /整改 #1 提交整改情况");
    const card = await b.ask("ban1", "/查询 #1");
    expect(card).toContain("交办：东村·张三，截止3月20日");
    expect(card).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    const sub = await b.say("zhangsan", "/整改 #1 已完成", G);
    expect(sub.find((o) => o.to === "ban1")!.text).toMatch(/^【待验收】#1 【东村】问题甲\n/);
  });

  it("a stranger's report names the source without doubled brackets", async () => {
    const got = await b.say("laozhang", "/上报 办事窗口中午没人", "便民服务中心群");
    const office = got.find((o) => o.to === "ban1")!.text!;
    expect(office).toContain("来源：未登记人员（未登记，laozhang），在便民服务中心群上报");
    expect(office).not.toMatch(/[（(][（(]|[）)][（(]/);
  });

  it("a report like an open one says so (still recorded); a cadre who may not see its title gets the number only", async () => {
    await b.say("zhangsan", "/上报 村务公开栏三个月未更新 #村务公开", G);
    // the reporter may see #1: its title is named
    const same = await b.ask("zhangsan", "/上报 村务公开栏好几个月没更新了", G);
    expect(same).toMatch(/^已登记 #2：/);
    expect(same).toContain("\n与 #1 相似，如为同一问题请勿重复上报（#1 村务公开栏三个月未更新）");
    // another unit's cadre in another group: the number only
    const other = await b.ask("xiaomei", "/上报 村务公开栏三个月没有更新", W);
    expect(other).toContain("\n与 #1、#2 相似，如为同一问题请勿重复上报");
    expect(other).not.toContain("好几个月");
    expect(other).not.toContain("（#1");
    // the 督办员 hear of it with the titles
    expect(await b.db.item.count()).toBe(3);
    // unrelated: no such line
    expect(await b.ask("lisi", "/上报 村干部上班时间打牌", G)).not.toContain("相似");
  });

  it("an anonymous report is never pointed at for a cadre (its words could be probed)", async () => {
    await b.say("xiaomei", "/匿名上报 村主任在低保评定中优亲厚友");
    const got = await b.say("lisi", "/上报 村主任低保评定优亲厚友", G);
    expect(got.find((o) => o.room === G)!.text).not.toContain("相似");
    expect(got.find((o) => o.to === "ban1")!.text).toContain("与 #1 相似");
  });
});

describe("/绑定 通报: a circular group named in the chat (the 智能机器人 cannot tell a group's name)", () => {
  it("sets and undoes a group as a circular group; the draft lists it among the groups it will go to", async () => {
    await b.say("ban1", "/上报 村务公开栏三个月未更新 @东村 @张三 截止:3月20日");
    expect(await b.ask("zhangsan", "/绑定 通报", "领导班子群")).toMatch(/仅限/);
    expect(await b.ask("ban1", "/绑定 通报", "领导班子群")).toBe("本群已设为通报群：以后月度通报的正文和图表发到本群；取消请发送 /解绑 通报");
    expect(await b.ask("ban1", "/绑定", "领导班子群")).toContain("本群是通报群");
    expect((await b.db.room.findFirstOrThrow({ where: { topic: "领导班子群" } })).circular).toBe(true);
    await b.at("2026-04-01T10:00:00+08:00");
    const draft = (await b.say("ban1", "/通报 2026-03")).map((o) => o.text ?? "").join("\n");
    expect(draft).toMatch(/领导班子群/);
    expect(await b.ask("ban1", "/解绑 通报", "领导班子群")).toBe("本群不再收月度通报");
    expect((await b.db.room.findFirstOrThrow({ where: { topic: "领导班子群" } })).circular).toBe(false);
    expect(await b.ask("ban1", "/解绑 通报", "领导班子群")).toMatch(/本群不是通报群/);
  });
});
