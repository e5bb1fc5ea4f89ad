// The dashboard without a browser (issue "Web", SPEC §1, §3 /看板, §8): one-time links, sessions, what
// each person sees, escaping and headers — through the real routes (Hono's app.request), on a real
// database, with the links got through chat.
import { afterEach, describe, expect, it } from "vitest";
import { createWeb, CSP } from "../../src/web/server.ts";
import { bot } from "../helpers.ts";

type Bot = Awaited<ReturnType<typeof bot>>;
let b: Bot;
afterEach(async () => b?.close());

const G = "东村工作群";
const HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>公开栏";

async function setup() {
  b = await bot();
  const web = createWeb({ duban: b.sim.app!, now: () => b.sim.clock.now(), evidenceDir: b.sim.work + "/evidence" });
  /** a /看板 link through chat, privately; returns its token */
  const link = async (who: string) => {
    const text = await b.ask(who, "/看板");
    const m = /\/看板\/login\?t=([\w-]+)/.exec(decodeURI(text));
    if (!m) throw new Error("no link in " + text);
    return m[1];
  };
  const login = async (token: string) => {
    const r = await web.request("/看板/login", { method: "POST", body: new URLSearchParams({ t: token }), headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    const cookie = (r.headers.get("set-cookie") ?? "").split(";")[0];
    return { r, cookie };
  };
  const get = async (url: string, cookie: string) => {
    const r = await web.request(encodeURI(url), { headers: { Cookie: cookie } });
    return { status: r.status, text: await r.text(), headers: r.headers };
  };
  return { web, link, login, get };
}

describe("/看板 links and sessions", () => {
  it("a 领导 gets a link privately; the GET shows a button (a preview scanner uses nothing up); the POST opens a session once", async () => {
    const { web, link, login, get } = await setup();
    const t = await link("shuji");
    expect(t.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
    // the link's message is ephemeral: gone from the outbox once sent
    expect(await b.db.outbox.count({ where: { text: { contains: t } } })).toBe(0);
    // only the hash is stored
    const rows = await b.db.webToken.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0].hash).not.toContain(t);
    const preview = await web.request(`/看板/login?t=${t}`);
    expect(await preview.text()).toContain("进入看板");
    const first = await login(t);
    expect(first.r.status).toBe(303);
    expect(first.r.headers.get("set-cookie")).toMatch(/HttpOnly/i);
    expect(first.r.headers.get("set-cookie")).toMatch(/SameSite=Strict/i);
    const home = await get("/看板/", first.cookie);
    expect(home.status).toBe(200);
    expect(home.text).toContain("各单位情况");
    expect(home.headers.get("content-security-policy")).toBe(CSP);
    // used: refused, and says how to get another
    const again = await login(t);
    expect(again.r.status).toBe(403);
    expect(await again.r.text()).toContain("这个链接已经用过了");
    // logging out revokes the session
    await web.request("/看板/logout", { method: "POST", headers: { Cookie: first.cookie } });
    expect((await get("/看板/", first.cookie)).status).toBe(401);
  });

  it("a link older than 10 minutes is refused; a session ends after 8 hours; no page without a session", async () => {
    const { link, login, get } = await setup();
    const t = await link("ban1");
    await b.at("2026-03-02T09:11:00+08:00");
    const late = await login(t);
    expect(late.r.status).toBe(403);
    expect(await late.r.text()).toContain("已过期");
    const ok = await login(await link("ban1"));
    expect((await get("/看板/ledger", ok.cookie)).status).toBe(200);
    await b.at("2026-03-02T17:12:00+08:00");
    expect((await get("/看板/ledger", ok.cookie)).status).toBe(401);
    for (const p of ["/看板/", "/看板/ledger", "/看板/item/1", "/看板/circulars", "/看板/ledger.xlsx", "/看板/unit/东村"]) expect((await get(p, "")).status, p).toBe(401);
  });

  it("a 干部 may not have a link; /看板 in a group is refused and says to ask privately", async () => {
    await setup();
    expect(await b.ask("zhangsan", "/看板")).toMatch(/仅限督办员、领导、负责人/);
    expect(await b.ask("wangwu", "/看板", G)).toMatch(/只能私聊/);
    expect(await b.db.webToken.count()).toBe(0);
  });
});

describe("what each person sees (SPEC §1)", () => {
  it("a 负责人 sees the unit's items in full, another unit's only number, status and deadline — also by URL; nobody sees an anonymous reporter", async () => {
    const { link, login, get } = await setup();
    await b.say("ban1", "/上报 东村公开栏三个月未更新 @东村 @张三 截止:3月20日");
    await b.say("ban1", "/上报 西村卫生室无人值守 @西村 截止:3月20日");
    await b.say("xiaomei", "/匿名上报 东村有人吃拿卡要 #八项规定");
    await b.say("ban1", "/交办 #3 @东村 截止:3月27日 措施:核查收费");
    // 王五 heads 东村
    const s = await login(await link("wangwu"));
    const own = await get("/看板/item/1", s.cookie);
    expect(own.text).toContain("东村公开栏三个月未更新");
    expect(own.text).toContain("办理过程");
    const other = await get("/看板/item/2", s.cookie);
    expect(other.status).toBe(200);
    expect(other.text).not.toContain("西村卫生室无人值守");
    expect(other.text).not.toContain("办理过程");
    expect(other.text).toContain("仅限督办员、领导和承办单位负责人、责任人查看");
    const anon = await get("/看板/item/3", s.cookie);
    expect(anon.text).toContain("匿名反映问题");
    expect(anon.text).not.toContain("吃拿卡要");
    expect(anon.text).not.toMatch(/小梅|xiaomei/);
    const ledger = await get("/看板/ledger", s.cookie);
    expect(ledger.text).toContain("东村公开栏三个月未更新");
    expect(ledger.text).not.toContain("西村卫生室无人值守");
    expect(ledger.text).not.toContain("吃拿卡要");
    // neither does a filter: the category of another unit's items (anonymous ones too) is not told
    await b.say("ban1", "/上报 西村账目不公开 @西村 截止:3月20日 #八项规定");
    const cat = await get("/看板/ledger?category=八项规定", s.cookie);
    expect(cat.text).toContain("共 1 个"); // 东村's own anonymous #3 (unit level shows its category), not 西村's #4
    expect(cat.text).toContain('href="/看板/item/3"');
    expect(cat.text).not.toContain('href="/看板/item/4"');
    // a search does not reveal what a row hides
    const search = await get("/看板/ledger?q=卫生室", s.cookie);
    expect(search.text).toContain("没有符合条件的问题");
    // the 领导 reads the anonymous words, never who wrote them
    const lead = await login(await link("shuji"));
    const a = await get("/看板/item/3", lead.cookie);
    expect(a.text).toContain("吃拿卡要");
    expect(a.text).not.toMatch(/小梅|xiaomei/);
  });

  it("a hostile title is text on every page (escaped), never markup", async () => {
    const { link, login, get } = await setup();
    await b.say("zhangsan", `/上报 ${HOSTILE}`, G);
    const s = await login(await link("ban1"));
    for (const p of ["/看板/ledger", "/看板/item/1", "/看板/ledger?q=" + "<script>"]) {
      const r = await get(p, s.cookie);
      expect(r.text, p).not.toContain("<script>alert(1)</script>");
      expect(r.text, p).not.toContain("<img src=x");
    }
    expect((await get("/看板/item/1", s.cookie)).text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;公开栏");
  });

  it("the filters, the ledger download and the published circulars", async () => {
    const { link, login, web } = await setup();
    await b.say("ban1", "/上报 东村公开栏三个月未更新 @东村 @张三 截止:3月3日");
    await b.say("ban1", "/上报 西村卫生室无人值守 @西村 截止:3月20日 #服务环境");
    await b.at("2026-03-05T09:00:00+08:00");
    const s = await login(await link("ban1"));
    const get = async (u: string) => (await web.request(encodeURI(u), { headers: { Cookie: s.cookie } })).text();
    expect(await get("/看板/ledger?unit=西村")).toContain("西村卫生室无人值守");
    expect(await get("/看板/ledger?unit=西村")).not.toContain("东村公开栏");
    expect(await get("/看板/ledger?overdue=1")).toContain("东村公开栏");
    expect(await get("/看板/ledger?overdue=1")).not.toContain("西村卫生室");
    expect(await get("/看板/ledger?category=服务环境")).toContain("西村卫生室");
    expect(await get("/看板/ledger?q=2")).toContain("西村卫生室");
    expect(await get("/看板/ledger?q=2")).not.toContain("东村公开栏");
    const x = await web.request(encodeURI("/看板/ledger.xlsx"), { headers: { Cookie: s.cookie } });
    expect(x.headers.get("content-type")).toMatch(/spreadsheetml/);
    const bytes = Buffer.from(await x.arrayBuffer());
    expect(bytes.subarray(0, 2).toString()).toBe("PK");
    expect(await get("/看板/circulars")).toContain("还没有发布过通报");
    // the trend: March's two reports, as the circular counts them
    const overview = await get("/看板/");
    expect(overview).toContain("<title>3月新增 2</title>");
    expect(overview).toContain("<title>2月新增 0</title>");
    // a published circular, as it went out
    await b.at("2026-04-03T10:30:00+08:00");
    await b.say("ban1", "/通报 发布 2026-03");
    const published = await b.db.circular.findFirstOrThrow();
    const again = await login(await link("ban1")); // the morning's session ended after 8 hours
    const page = await (await web.request(encodeURI("/看板/circulars"), { headers: { Cookie: again.cookie } })).text();
    expect(page).toContain("2026年3月");
    for (const line of published.text.split("\n").filter((l) => l.trim()).slice(0, 5)) expect(page).toContain(line.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
  });
});
