// The whole command loop through the Wechaty mock puppet on a temp SQLite file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bot } from "./helpers.ts";

const G = "东村工作群";
let b: Awaited<ReturnType<typeof bot>>;
beforeEach(async () => {
  b = await bot();
});
afterEach(async () => {
  await b.close();
});

describe("from a group message to 销号", () => {
  it("report → assign → rectify with photos → close, every step an event", async () => {
    let got = await b.say("zhangsan", "/上报 村务公开栏三个月未更新 #村务公开", G);
    expect(got[0]).toMatchObject({ room: G, mentions: ["zhangsan"], text: expect.stringContaining("已登记 #1：村务公开栏三个月未更新") });
    // the 督办员 hear of it privately, with a ready 交办 line
    expect(got.filter((o) => o.to === "ban1" || o.to === "ban2").map((o) => o.text)).toEqual([expect.stringContaining("/交办 #1"), expect.stringContaining("/交办 #1")]);

    got = await b.say("ban1", "/交办 #1 @东村 @张三 截止:3月20日 措施:立即更新公开栏，建立月度更新制度");
    expect(got[0]).toMatchObject({ to: "ban1", text: "已交办 #1 给东村·张三，截止 3月20日" });
    expect(got[1]).toMatchObject({ room: G, mentions: ["zhangsan"], text: expect.stringContaining("【交办】#1 村务公开栏三个月未更新") });

    expect(await b.ask("zhangsan", "/认领 #1", G)).toBe("#1 已由你认领，无需重复认领");
    expect(await b.ask("zhangsan", "/进展 #1 已联系村监委会", G)).toBe("已记录 #1 的整改进展");
    expect(await b.ask("zhangsan", "/整改 #1 公开栏已更新到本月", G)).toMatch(/^已提交 #1 整改情况/);
    expect(await b.ask("zhangsan", "", G).catch(() => "none")).toBe("none"); // empty text: ignored
    const img = await b.image("zhangsan", G);
    expect(img[0]).toEqual(expect.objectContaining({ room: G, text: "已收到 #1 的整改佐证照片（第 1 张）" }));
    // the photo itself goes on to the verifiers
    expect(img.slice(1).map((o) => [o.to, !!o.file])).toEqual([["ban1", true], ["ban2", true]]);
    await b.image("zhangsan", G);

    got = await b.say("ban1", "/销号 #1 整改到位");
    expect(got[0].text).toBe("#1 已验收销号（佐证照片 2 张）\n验收意见：整改到位");
    // the unit's group, @-mentioning the assignee and its 负责人; the reporter was the assignee: no second copy
    expect(got.slice(1)).toEqual([expect.objectContaining({ room: G, text: expect.stringContaining("【销号】#1 村务公开栏三个月未更新 已验收销号") })]);

    const item = await b.db.item.findFirstOrThrow({ where: { no: 1 } });
    expect(item).toMatchObject({ status: "已销号", unitName: "东村", assigneeId: "zhangsan", submitterId: "zhangsan", deadline: "2026-03-20" });
    const events = await b.db.event.findMany({ where: { itemId: item.id }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.kind)).toEqual(["上报", "交办", "进展", "整改", "佐证", "佐证", "销号"]);
    expect(events.every((e) => e.messageKey?.startsWith("mock:duban-bot:"))).toBe(true);
    expect(await b.db.evidence.count()).toBe(2);

    const card = await b.ask("wangwu", "/查询 #1", G);
    expect(card).toContain("#1 村务公开栏三个月未更新");
    expect(card).toContain("状态：已销号");
    expect(card).toContain("佐证照片：2 张");
    expect(card).toMatch(/3月2日 09:00 钱督办 交办：东村·张三/);
    // a cadre of the unit who is neither its 负责人 nor the assignee nor the reporter: number, unit, status, deadline
    expect(await b.ask("lisi", "/查询 #1", G)).toBe("#1\n单位：东村\n状态：已销号　截止：3月20日\n（问题详情仅限督办员、领导和承办单位负责人、责任人查看）");
  });

  it("a photo without a recent /整改 by the same person is not evidence", async () => {
    await b.say("ban1", "/上报 窗口服务态度生硬 @镇便民服务中心 截止:3月10日");
    expect(await b.image("zhangsan", G)).toEqual([]);
    await b.say("zhengyi", "/整改 #1 已约谈窗口人员", "便民服务中心群");
    expect(await b.image("chuangkou", "便民服务中心群")).toEqual([]); // another person
    // another chat: not evidence, but a hint where it belongs
    expect(await b.image("zhengyi", G)).toEqual([expect.objectContaining({ room: G, text: expect.stringMatching(/^#1 的整改照片请发在提交 \/整改 的同一个聊天里（「便民服务中心群」群）/) })]);
    await b.at("2026-03-02T09:11:00+08:00");
    expect(await b.image("zhengyi", "便民服务中心群")).toEqual([]); // after 10 minutes
    expect(await b.db.evidence.count()).toBe(0);
  });

  it("a photo sent while the bot was down counts from when it was sent, not when the bot got back", async () => {
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月20日");
    await b.at("2026-03-02T10:00:00+08:00");
    await b.say("zhangsan", "/整改 #1 已更新公开栏", G);
    await b.at("2026-03-02T10:00:30+08:00");
    await b.sim.stop();
    await b.at("2026-03-02T10:01:00+08:00");
    await b.image("zhangsan", G); // said while the bot is down
    await b.at("2026-03-02T10:15:00+08:00");
    await b.sim.start();
    expect(b.out.find((o) => o.text?.startsWith("已收到"))).toMatchObject({ room: G, text: "已收到 #1 的整改佐证照片（第 1 张）", mentions: ["zhangsan"] });
    expect(await b.db.evidence.count()).toBe(1);
    // sent 20 minutes after the /整改: not evidence
    await b.at("2026-03-02T10:20:00+08:00");
    expect(await b.image("zhangsan", G)).toEqual([]);
    expect(await b.db.evidence.count()).toBe(1);
  });

  it("a 督办员 reporting with unit and deadline assigns at once; the unit's group hears it", async () => {
    const got = await b.say("ban1", "/上报 财务报销凭证不全 #八项规定 @镇财政所 截止:5个工作日");
    expect(got[0].text).toMatch(/^已登记并交办 #1：财务报销凭证不全\n承办：镇财政所，截止 3月9日$/);
    // 镇财政所 has no group: its 负责人 hears privately
    expect(got[1]).toMatchObject({ to: "zhaoliu", text: expect.stringContaining("【交办】#1") });
    expect((await b.db.item.findFirstOrThrow()).status).toBe("整改中");
  });

  it("claiming: an unassigned item by any unit member, idempotent, not someone else's", async () => {
    await b.say("xiaomei", "/上报 村干部上班时间打牌", "西村工作群");
    expect(await b.ask("lisi", "/认领 #1", G)).toMatch(/^已认领 #1：村干部上班时间打牌\n截止日期待作风整顿办确定/);
    expect(await b.ask("lisi", "/领取 #1", G)).toBe("#1 已由你认领，无需重复认领");
    expect(await b.ask("zhangsan", "/认领 #1", G)).toBe("#1 已由李四认领；如需调整，请东村负责人 /指派");
    expect(await b.ask("xiaomei", "/认领 #1", "西村工作群")).toBe("#1 由东村承办，只有东村的人员可以认领，如有异议请联系作风整顿办");
    expect(await b.db.event.count({ where: { kind: "认领" } })).toBe(1);
  });

  it("指派 by the unit's 负责人 only, to a member of the unit", async () => {
    await b.say("ban1", "/上报 惠民政策公示不及时 @东村 截止:3月31日");
    expect(await b.ask("chenqi", "/指派 #1 @张三", "西村工作群")).toBe("#1 由东村承办，只有东村负责人可以指派，请联系王五");
    expect(await b.ask("wangwu", "/指派 #1 @小梅", G)).toMatch(/小梅不是东村的人员，请指派本单位人员$/);
    const got = await b.say("wangwu", "/指派 #1 @张三", G);
    expect(got[0].text).toBe("已将 #1 指派给张三");
    expect(got[1]).toMatchObject({ room: G, mentions: ["zhangsan"], text: expect.stringContaining("【指派】") });
  });

  it("退回 sends the reason to the assignee; the item goes back to 整改中", async () => {
    await b.say("ban1", "/上报 公开栏未更新 @东村 @张三 截止:3月20日");
    await b.say("zhangsan", "/整改 #1 已更新", G);
    const got = await b.say("ban2", "/退回 #1 照片看不清公开日期");
    expect(got[0].text).toBe("已退回 #1，原因：照片看不清公开日期");
    // the unit's group, @-mentioning the assignee (who submitted) and the 负责人
    expect(got.slice(1)).toEqual([expect.objectContaining({ room: G, mentions: ["zhangsan", "wangwu"], text: expect.stringContaining("退回原因：照片看不清公开日期") })]);
    expect((await b.db.item.findFirstOrThrow()).status).toBe("整改中");
    expect(await b.ask("ban2", "/销号 #1")).toBe("#1：该问题当前为「整改中」，尚未提交整改，不能销号，请等待承办单位发送 /整改 #1 提交整改情况");
  });

  it("延期: request, answered once by 同意 or 拒绝", async () => {
    await b.say("ban1", "/上报 工程验收资料缺失 @镇城镇建设办 截止:3月10日");
    expect(await b.ask("fener", "/延期 #1 3月5日 资料在县里")).toBe("新截止日期应晚于原截止日期 3月10日，请重新填写".replace(/^/, "用法：/延期 #编号 <新截止日期> <原因>\n"));
    expect(await b.ask("fener", "/延期 #1 3月31日 需县住建局补盖章")).toBe("已提交 #1 延期申请（至 3月31日），等待作风整顿办审批");
    expect(await b.ask("fener", "/延期 #1 4月30日 再延")).toMatch(/已有一条待审批的延期申请/);
    const got = await b.say("shuji", "/同意延期 #1");
    expect(got[0].text).toBe("已同意 #1 延期至 3月31日");
    expect(got[1]).toMatchObject({ to: "fener", text: expect.stringContaining("新的截止日期为 3月31日") });
    expect((await b.db.item.findFirstOrThrow()).deadline).toBe("2026-03-31");
    expect(await b.ask("shuji", "/拒绝延期 #1 不行")).toBe("#1 没有待审批的延期申请，可发送 /查询 #1 查看办理过程");
    await b.say("fener", "/延期 #1 4月30日 还要补材料");
    expect(await b.ask("ban1", "/拒绝延期 #1 请按期完成")).toBe("已拒绝 #1 的延期申请，原因：请按期完成");
    expect((await b.db.item.findFirstOrThrow()).deadline).toBe("2026-03-31");
  });

  it("长期整改 with a plan and milestones", async () => {
    await b.say("ban1", "/上报 村级财务收支长期未公开 @南山村 截止:3月31日");
    const r = await b.ask("ban1", "/长期 #1 计划：分三步建立财务公开制度 节点:4月30日，6月30日、9月30日");
    expect(r).toContain("#1 已列为长期整改");
    expect(r).toContain("最终时限：9月30日");
    expect((await b.db.milestone.findMany()).map((m) => m.deadline)).toEqual(["2026-04-30", "2026-06-30", "2026-09-30"]);
    expect(await b.ask("ban1", "/长期 #1 计划:x 节点:6月30日,4月30日")).toMatch(/节点日期应按先后顺序排列，请按先后顺序重新填写$/);
  });

  it("/我的 lists open items overdue first; /逾期 and /统计 count from data", async () => {
    await b.say("ban1", "/上报 问题甲 @东村 @张三 截止:3月4日");
    await b.say("ban1", "/上报 问题乙 @东村 @张三 截止:3月20日");
    await b.say("ban1", "/上报 问题丙 @西村 截止:3月3日");
    await b.at("2026-03-06T09:00:00+08:00"); // Friday: 甲 overdue by 2 workdays, 丙 by 3
    const mine = await b.ask("zhangsan", "/我的", G);
    expect(mine.split("\n")).toEqual([
      "你有 2 个未销号问题，其中逾期 1 个：",
      "#1 【东村】问题甲（整改中·逾期2个工作日，截止3月4日，张三）",
      "#2 【东村】问题乙（整改中，截止3月20日，张三）",
    ]);
    const overdue = await b.ask("lisi", "/逾期", G);
    // lisi sees other people's items as number, unit, status and deadline only
    expect(overdue.split("\n")).toEqual(["全镇逾期未销号问题 2 个：", "#3 【西村】（整改中·逾期3个工作日，截止3月3日）", "#1 【东村】（整改中·逾期2个工作日，截止3月4日）"]);
    expect((await b.ask("wangwu", "/逾期", G)).split("\n").slice(1)).toEqual(["#3 【西村】（整改中·逾期3个工作日，截止3月3日）", "#1 【东村】问题甲（整改中·逾期2个工作日，截止3月4日，张三）"]);
    expect(await b.ask("lisi", "/逾期 @南山村", G)).toBe("南山村目前没有逾期问题");
    await b.say("zhangsan", "/整改 #2 已完成", G);
    await b.say("ban1", "/销号 #2");
    const stats = await b.ask("shuji", "/统计 全部");
    // the circular's rules: 按期完成率 of the items due (乙 closed on time, 甲 and 丙 overdue), units without items apart
    expect(stats.split("\n")[0]).toBe("青山镇整顿以来问题统计：问题 3 个，已销号 1 个，待验收 0 个，逾期 2 个，按期完成率 33%");
    expect(stats).toContain("东村【红】：2 个，销号 1，逾期 1，按期完成率 50%");
    expect(stats.split("\n").at(-1)).toMatch(/^无问题：南山村、河坝社区、/);
    expect(await b.ask("shuji", "/统计 本月 @西村")).toBe("西村本月问题统计：问题 1 个，已销号 0 个，待验收 0 个，逾期 1 个，按期完成率 0%，红");
  });

  it("/绑定 makes a group a unit's group", async () => {
    const got = await b.say("ban1", "/绑定 镇财政所", "财政所工作群");
    expect(got[0].text).toBe("本群已绑定到镇财政所，该单位的交办、提醒将发到本群");
    const assigned = await b.say("ban1", "/上报 报销不规范 @镇财政所 截止:3月31日");
    expect(assigned[1]).toMatchObject({ room: "财政所工作群", mentions: ["zhaoliu"] });
    expect(await b.ask("ban1", "/绑定 镇财政所")).toBe("/绑定 需要在工作群里发送");
  });
});

describe("bad input changes nothing and says why", () => {
  it("typo → nearest command; unknown → /帮助", async () => {
    expect(await b.ask("zhangsan", "/上保 测试", G)).toBe("没有 /上保 这个命令，你是不是想用 /上报？");
    expect(await b.ask("zhangsan", "/销 #1", G)).toBe("没有 /销 这个命令，你是不是想用 /销号？");
    expect(await b.ask("zhangsan", "/天气预报", G)).toBe("没有 /天气预报 这个命令，发送 /帮助 查看可用命令");
  });

  it("usage line and one sentence on what was wrong", async () => {
    expect(await b.ask("zhangsan", "/上报", G)).toBe("用法：/上报 <问题描述> [#类别] [@单位或@人] [截止:日期]\n缺少问题描述");
    expect(await b.ask("zhangsan", "/上报 测试 #天气", G)).toMatch(/^用法：.*\n没有「天气」这个类别，可用：政治纪律、/);
    expect(await b.ask("ban1", "/交办 #1 @东村")).toBe("用法：/交办 #编号 @单位 [@人] 截止:日期 [措施:整改措施]\n缺少截止日期，如 截止:3月20日");
    expect(await b.ask("ban1", "/交办 #1 @北村 截止:明天")).toMatch(/\n「北村」既不是单位也不是名册中的人员$/);
    expect(await b.ask("ban1", "/交办 #1 @东村 截止:下下周")).toMatch(/\n无法识别的日期「下下周」/);
    expect(await b.ask("ban1", "/交办 #99 @东村 截止:明天")).toBe("没有 #99 号问题，请发送 /我的 查看你的问题编号");
    expect(await b.ask("ban1", "/上报 测试 @东村 截止:2026-01-05")).toMatch(/截止日期 1月5日 已经过去，请重新填写$/);
    expect(await b.db.item.count()).toBe(0);
    expect(await b.db.event.count()).toBe(0);
  });

  it("oversized text and odd Unicode", async () => {
    expect(await b.ask("zhangsan", "/上报 " + "很长".repeat(2000), G)).toMatch(/内容过长/);
    expect(await b.ask("zhangsan", "/上报 " + "长".repeat(301), G)).toMatch(/问题描述不能超过 300 个字$/);
    expect(await b.ask("zhangsan", "\u200b／上\u200b报\u3000公开栏\u202e未更新", G)).toMatch(/^已登记 #1：公开栏未更新/);
    expect(await b.db.item.count()).toBe(1);
  });

  it("/帮助 lists only what the asker may use", async () => {
    const cadre = await b.ask("zhangsan", "/帮助", G);
    expect(cadre).toContain("/上报");
    expect(cadre).not.toContain("/交办");
    expect(cadre).not.toContain("/指派");
    const head = await b.ask("wangwu", "/help", G);
    expect(head).toContain("/指派");
    expect(head).not.toContain("/销号");
    // one short line a command: even the longest list (a 督办员's) is one message on a phone
    const office = await b.say("ban1", "/?");
    expect(office).toHaveLength(1);
    expect(office[0].text).toContain("/交办");
    expect(office[0].text).toContain("/绑定");
    expect(office[0].text).not.toContain("/认领"); // no unit: nothing of their own to claim
    const leader = await b.ask("shuji", "/帮助");
    expect(leader).toContain("/销号");
    expect(leader).not.toMatch(/\/(认领|整改|进展|延期|指派)　/);
    expect(cadre).toMatch(/\/认领　/);
    const stranger = await b.ask("laozhang", "/帮助", G);
    expect(stranger).toContain("/上报");
    expect(stranger).not.toContain("/查询");
    expect(stranger).toContain("你还不在名册中");
    expect(await b.ask("zhangsan", "/帮助 销号", G)).toBe("/销号 #编号 [验收意见]\n验收通过，问题销号\n别名：/验收 /通过\n（你目前没有使用此命令的权限）");
  });

  it("a stranger may report and is told how to be registered for the rest", async () => {
    expect(await b.ask("laozhang", "/上报 办事窗口中午没人", "便民服务中心群")).toMatch(/^已登记 #1/);
    expect(await b.ask("laozhang", "/我的", "便民服务中心群")).toBe("你还不在青山镇作风整顿名册中，目前只能用 /上报 反映问题；如需办理其他事项，请联系作风整顿办登记");
  });

  it("messages that are not commands are ignored silently", async () => {
    expect(await b.say("zhangsan", "大家早上好", G)).toEqual([]);
    // (an @-mention of the bot gets a pointer to /帮助, SPEC §3)
    expect(await b.ask("zhangsan", "@督办助手 你好", G)).toMatch(/发送 \/帮助 查看你能用的命令/);
    expect(await b.ask("zhangsan", "@督办助手 /我的", G)).toBe("你目前没有未销号的问题");
  });
});
