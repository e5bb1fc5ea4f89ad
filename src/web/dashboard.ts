// The leaders' dashboard (SPEC §3 /看板, §8 Web): read-only pages for a person who opened a session with
// a one-time link. Every page shows only what SPEC §1 lets that person see, through the same rules as the
// chat (src/domain/visibility.ts): a 负责人 sees their unit's items in full and only number, unit, status
// and deadline of the others; nobody sees an anonymous reporter; an anonymous report's words only the
// office and the leaders. Reads go to the read-only connection (a snapshot; the bot's writes go on).
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { App } from "../app.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { fmtDate } from "../domain/calendar.ts";
import type { Person } from "../domain/org.ts";
import { cardAt, eventDetail, isAnonymous, levelFor, showsTimeline, stateText, titleAt, type Audience, type Level, type ViewCtx } from "../domain/visibility.ts";
import { campaignMonths } from "../jobs/circular.ts";
import type { Reader } from "../db/client.ts";
import { raw as rawSql, timeText } from "../db/sql.ts";
import type { Calendar } from "../domain/calendar.ts";
import type { Config } from "../config/schema.ts";
import { pct, ranked, unitFigures, type UnitFigures } from "../jobs/stats.ts";
import { redeemLink, revokeSession, SESSION_COOKIE, SESSION_TTL_MS, sessionMember } from "./auth.ts";
import { html, light, notice, page, raw, type Html } from "./html.ts";

const PAGE_SIZE = 30;
const STATUSES = ["待交办", "整改中", "待验收", "已销号"] as const;
const REFUSED: Record<string, string> = {
  used: "这个链接已经用过了。链接只能用一次：请在私聊中给督办助手发送 /看板 重新获取。",
  expired: "这个链接已过期（10 分钟内有效）：请在私聊中给督办助手发送 /看板 重新获取。",
  unknown: "链接无效：请在私聊中给督办助手发送 /看板 获取新的链接，整段复制，不要改动。",
};

interface Viewer {
  person: Person;
  me: Audience;
  view: ViewCtx;
}

export function mountDashboard(web: Hono, duban: App, o: { now: () => Date; evidenceDir: string; secureCookie: boolean }): void {
  const { cfg, org, cal } = duban;
  const read = duban.read;
  const org_ = cfg.org;

  /** The session's person, or null (then the page says how to get in). */
  async function viewer(c: Context): Promise<Viewer | null> {
    const id = await sessionMember(duban.db, getCookie(c, SESSION_COOKIE), o.now());
    if (!id) return null;
    const person = org.person(id);
    // a session outlives a change of the roster: only those the command admits now
    if (!person.member || !(org.isOffice(person) || person.roles.has("负责人"))) return null;
    return { person, me: { kind: "person", person }, view: { org, cal, today: cal.today(o.now()) } };
  }
  const who = (v: Viewer) => `${v.person.name}${v.person.unit ? `（${v.person.unit}）` : ""}`;
  const gate = (c: Context) => c.html(notice(org_, "请先登录", "看板需要登录：请在私聊中给督办助手发送 /看板，点开收到的链接。"), 401);

  // ---------------------------------------------------------------- login / logout
  web.get("/看板/login", (c) => {
    // chat clients open links to preview them: a GET never uses the token up; the button POSTs it
    const t = c.req.query("t") ?? "";
    return c.html(
      page({
        title: "登录看板",
        org: org_,
        body: html`<section class="card login">
          <h1>${org_}作风整顿工作看板</h1>
          <p>点击下面的按钮进入。链接只能用一次，进入后 8 小时内免登录。</p>
          <form method="post" action="/看板/login"><input type="hidden" name="t" value="${t}" /><button type="submit" class="primary">进入看板</button></form>
        </section>`,
      }),
    );
  });
  web.post("/看板/login", bodyLimit({ maxSize: 4096, onError: (c) => c.text("请求过大", 413) }), async (c) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const t = typeof body.t === "string" ? body.t : "";
    const r = t ? await redeemLink(duban.db, t, o.now()) : ({ ok: false, why: "unknown" } as const);
    if (!r.ok) return c.html(notice(org_, "无法进入看板", REFUSED[r.why], "refused"), 403);
    setCookie(c, SESSION_COOKIE, r.session, { httpOnly: true, sameSite: "Strict", secure: o.secureCookie, path: "/", maxAge: SESSION_TTL_MS / 1000 });
    return c.redirect("/看板/", 303);
  });
  web.post("/看板/logout", async (c) => {
    await revokeSession(duban.db, getCookie(c, SESSION_COOKIE), o.now());
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.html(notice(org_, "已退出", "已退出看板。再次查看请在私聊中发送 /看板。"));
  });

  // ---------------------------------------------------------------- overview
  web.get("/看板/", async (c) => {
    const v = await viewer(c);
    if (!v) return gate(c);
    const today = v.view.today;
    const [figures, months] = await Promise.all([
      unitFigures(read, cfg, cal, today),
      // the whole campaign, months to come empty: where it stands since spring, and how far to go
      trend(read, cfg, cal),
    ]);
    const { ranked: list, none } = ranked(figures);
    const sum = figures.reduce((a, f) => ({ total: a.total + f.total, closed: a.closed + f.closed, overdue: a.overdue + f.overdue, waiting: a.waiting + f.waiting, due: a.due + f.due, onTime: a.onTime + f.onTime }), { total: 0, closed: 0, overdue: 0, waiting: 0, due: 0, onTime: 0 });
    const unassigned = await read.item.count({ where: { campaign: cfg.campaign.name, unitName: null } });
    const body = html`
      <h1>总览 <small>${fmtDate(today)}</small></h1>
      <section class="figures">
        ${figure("问题总数", sum.total + unassigned)} ${figure("已销号", sum.closed)} ${figure("逾期未销号", sum.overdue, sum.overdue ? "red" : "")}
        ${figure("待验收", sum.waiting)} ${figure("待交办", unassigned)} ${figure("按期完成率", pct(sum.due ? sum.onTime / sum.due : null))}
      </section>
      <section class="card">
        <h2>各单位情况</h2>
        ${unitTable(list)}
        ${none.length ? html`<p class="muted">无问题的单位（不参与排名）：${none.map((f) => f.unit).join("、")}</p>` : ""}
        <p class="muted small">按期完成率＝按期销号数÷到期问题数；红：有逾期未销号；黄：有问题 ${cfg.status.yellowDueWithinWorkdays} 个工作日内到期或按期完成率低于 ${pct(cfg.status.greenCompletion)}；绿：其余。</p>
      </section>
      <section class="card">
        <h2>逐月新增与销号</h2>
        ${trendSvg(months)}
      </section>`;
    return c.html(page({ title: "总览", org: org_, who: who(v), nav: "overview", body }));
  });

  // ---------------------------------------------------------------- ledger
  web.get("/看板/ledger", async (c) => {
    const v = await viewer(c);
    if (!v) return gate(c);
    const q = c.req.query();
    const unit = cfg.units.some((u) => u.name === q.unit) ? q.unit : "";
    const category = cfg.campaign.categories.some((k) => k.code === q.category) ? q.category : "";
    const status = (STATUSES as readonly string[]).includes(q.status ?? "") ? q.status : "";
    const overdue = q.overdue === "1";
    const search = (q.q ?? "").trim().slice(0, 50);
    const sort = q.sort === "deadline" ? "deadline" : q.sort === "old" ? "old" : "new";
    const pageNo = Math.max(1, Math.min(100_000, Number.parseInt(q.page ?? "1", 10) || 1));
    const today = v.view.today;
    const where: Prisma.ItemWhereInput = { campaign: cfg.campaign.name };
    const office = org.isOffice(v.person);
    const mine = [{ assigneeId: v.person.id }, ...(v.person.roles.has("负责人") && v.person.unit ? [{ unitName: v.person.unit }] : [])];
    if (unit) where.unitName = unit;
    // a category is part of what a row hides below unit level (SPEC §1): filtering by it must not tell
    // the category of items the viewer may not read — only theirs (their unit's, assigned to them, their own reports)
    if (category) Object.assign(where, { category }, office ? {} : { OR: [...mine, { reporterId: v.person.id, anonymous: false }] });
    if (status) where.status = status;
    if (overdue) Object.assign(where, { deadline: { lt: today, not: null }, status: status && status !== "已销号" ? status : { not: "已销号" } });
    if (search) {
      const n = /^#?(\d{1,9})$/.exec(search);
      // words are searched only where the viewer may read them: the office in every item, others in
      // their unit's and their own non-anonymous ones (a search must not reveal what a row hides)
      const readable: Prisma.ItemWhereInput = office ? {} : { anonymous: false, OR: [...mine, { reporterId: v.person.id }] };
      where.AND = [n ? { OR: [{ no: Number(n[1]) }, { title: { contains: search }, ...readable }] } : { title: { contains: search }, ...readable }];
    }
    const orderBy: Prisma.ItemOrderByWithRelationInput[] = sort === "deadline" ? [{ deadline: "asc" }, { no: "asc" }] : [{ no: sort === "old" ? "asc" : "desc" }];
    const [total, rows] = await Promise.all([
      read.item.count({ where }),
      read.item.findMany({ where, orderBy, skip: (pageNo - 1) * PAGE_SIZE, take: PAGE_SIZE, select: ITEM_FIELDS }),
    ]);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const keep = { unit, category, status, overdue: overdue ? "1" : "", q: search, sort };
    const link = (p: number) => "/看板/ledger?" + new URLSearchParams(Object.entries({ ...keep, page: String(p) }).filter(([, x]) => x)).toString();
    const sel = (name: string, value: string, options: { v: string; t: string }[]) =>
      html`<select name="${name}">${options.map((x) => html`<option value="${x.v}" ${x.v === value ? raw("selected") : ""}>${x.t}</option>`)}</select>`;
    const body = html`
      <h1>问题台账 <small>共 ${total} 个</small></h1>
      <form class="filters card" method="get" action="/看板/ledger">
        ${sel("unit", unit, [{ v: "", t: "全部单位" }, ...cfg.units.map((u) => ({ v: u.name, t: u.name }))])}
        ${sel("category", category, [{ v: "", t: "全部类别" }, ...cfg.campaign.categories.map((k) => ({ v: k.code, t: k.code }))])}
        ${sel("status", status, [{ v: "", t: "全部状态" }, ...STATUSES.map((s) => ({ v: s, t: s }))])}
        ${sel("sort", sort, [{ v: "new", t: "新报在前" }, { v: "old", t: "早报在前" }, { v: "deadline", t: "截止早在前" }])}
        <label class="check"><input type="checkbox" name="overdue" value="1" ${overdue ? raw("checked") : ""} /> 只看逾期</label>
        <input type="search" name="q" value="${search}" placeholder="编号或问题描述" maxlength="50" />
        <button type="submit" class="primary">筛选</button>
        <a class="button" href="/看板/ledger.xlsx${unit ? "?unit=" + encodeURIComponent(unit) : ""}">下载 Excel</a>
      </form>
      ${rows.length ? itemTable(v, rows) : html`<p class="card muted">没有符合条件的问题。</p>`}
      <nav class="pager">
        ${pageNo > 1 ? html`<a href="${link(pageNo - 1)}">上一页</a>` : ""}
        <span>第 ${pageNo} / ${pages} 页</span>
        ${pageNo < pages ? html`<a href="${link(pageNo + 1)}">下一页</a>` : ""}
      </nav>`;
    return c.html(page({ title: "台账", org: org_, who: who(v), nav: "ledger", body }));
  });

  web.get("/看板/ledger.xlsx", async (c) => {
    const v = await viewer(c);
    if (!v) return gate(c);
    const office = org.isOffice(v.person);
    const unit = office ? (cfg.units.some((u) => u.name === c.req.query("unit")) ? c.req.query("unit") : undefined) : v.person.unit;
    if (!office && !unit) return c.html(notice(org_, "无法导出", "只有督办员、领导和单位负责人可以导出台账。"), 403);
    const { writeLedger, exportName } = await import("../reports/ledger.ts"); // exceljs only when asked for
    // written to a private temp folder and removed once read: a download leaves no copy behind
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-xlsx-"));
    const name = exportName(cfg, cal, o.now(), "台账", unit);
    const file = path.join(dir, name);
    try {
      await writeLedger(read, cfg, org, cal, { file, now: o.now(), unit, audience: office ? "office" : "unit" });
      const bytes = readFileSync(file);
      c.header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
      c.header("Content-Disposition", `attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
      return c.body(new Uint8Array(bytes));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // ---------------------------------------------------------------- one item
  web.get("/看板/item/:no", async (c) => {
    const v = await viewer(c);
    if (!v) return gate(c);
    const no = /^\d{1,9}$/.test(c.req.param("no")) ? Number(c.req.param("no")) : NaN;
    const item = Number.isFinite(no) ? await read.item.findUnique({ where: { campaign_no: { campaign: cfg.campaign.name, no } } }) : null;
    if (!item) return c.html(notice(org_, "没有这个问题", `本次整顿中没有 #${c.req.param("no")}。`), 404);
    const level = levelFor(org, v.me, item);
    const card = cardAt(v.view, level, item).split("\n");
    let detail: Html | string = "";
    if (showsTimeline(level)) {
      const [events, milestones, evidence] = await Promise.all([
        read.event.findMany({ where: { itemId: item.id }, orderBy: { id: "asc" } }),
        read.milestone.findMany({ where: { itemId: item.id }, orderBy: { seq: "asc" } }),
        read.evidence.findMany({ where: { itemId: item.id }, orderBy: { id: "asc" } }),
      ]);
      detail = html`
        ${milestones.length
          ? html`<section class="card"><h2>节点</h2><ol class="milestones">${milestones.map((m) => html`<li class="${m.done ? "done" : ""}">截止 ${fmtDate(m.deadline, v.view.today)}${m.done ? " ✓ 已完成" : ""}</li>`)}</ol></section>`
          : ""}
        ${evidence.length
          ? html`<section class="card"><h2>佐证照片</h2><div class="photos">${evidence.map((e, i) => html`<a href="/看板/evidence/${e.id}"><img src="/看板/evidence/${e.id}" alt="#${item.no} 第 ${i + 1} 张佐证照片" loading="lazy" /></a>`)}</div></section>`
          : ""}
        <section class="card"><h2>办理过程</h2><ol class="timeline">${events.map((e) => {
          const l = cal.local(e.at);
          const time = `${fmtDate(l.ymd, v.view.today)} ${String(l.hh).padStart(2, "0")}:${String(l.mm).padStart(2, "0")}`;
          const by = e.actorId ? org.name(e.actorId) : e.kind === "匿名上报" ? "匿名" : "系统";
          const words = e.detail && e.kind !== "上报" && e.kind !== "匿名上报" ? "：" + eventDetail(e.kind, e.detail, v.view.today) : "";
          return html`<li><time>${time}</time> <b>${by}</b> ${e.kind}${words}</li>`;
        })}</ol></section>`;
    }
    const body = html`
      <p><a href="/看板/ledger">← 台账</a></p>
      <section class="card item">
        <h1>${card[0]}</h1>
        ${card.slice(1).map((l) => html`<p>${l}</p>`)}
        ${item.unitName ? html`<p><a href="/看板/unit/${encodeURIComponent(item.unitName)}">查看${item.unitName}的全部问题</a></p>` : ""}
      </section>
      ${detail}`;
    return c.html(page({ title: `#${item.no}`, org: org_, who: who(v), nav: "ledger", body }));
  });

  web.get("/看板/evidence/:id", async (c) => {
    const v = await viewer(c);
    if (!v) return c.body(null, 401);
    const id = /^\d{1,9}$/.test(c.req.param("id")) ? Number(c.req.param("id")) : NaN;
    const ev = Number.isFinite(id) ? await read.evidence.findUnique({ where: { id }, include: { item: true } }) : null;
    // the photo only for those who may see the item's timeline; a missing file and a refusal look alike
    if (!ev || !showsTimeline(levelFor(org, v.me, ev.item)) || !existsSync(ev.path)) return c.body(null, 404);
    const ext = path.extname(ev.path).toLowerCase();
    c.header("Content-Type", ext === ".png" ? "image/png" : ext === ".gif" ? "image/gif" : ext === ".webp" ? "image/webp" : "image/jpeg");
    c.header("Cache-Control", "private, max-age=3600");
    return c.body(Readable.toWeb(createReadStream(ev.path)) as ReadableStream);
  });

  // ---------------------------------------------------------------- one unit
  web.get("/看板/unit/:name", async (c) => {
    const v = await viewer(c);
    if (!v) return gate(c);
    const name = c.req.param("name");
    const u = cfg.units.find((x) => x.name === name);
    if (!u) return c.html(notice(org_, "没有这个单位", `配置中没有单位「${name}」。`), 404);
    const today = v.view.today;
    const [f] = await unitFigures(read, cfg, cal, today, { unit: u.name });
    const open = await read.item.findMany({ where: { campaign: cfg.campaign.name, unitName: u.name, status: { not: "已销号" } }, orderBy: [{ deadline: "asc" }, { no: "asc" }], take: 200, select: ITEM_FIELDS });
    const body = html`
      <h1>${u.name} <small>${u.kind}</small></h1>
      <section class="figures">
        ${figure("问题", f?.total ?? 0)} ${figure("已销号", f?.closed ?? 0)} ${figure("逾期", f?.overdue ?? 0, f?.overdue ? "red" : "")}
        ${figure("按期完成率", f?.total ? pct(f.completion) : "—")} ${figure("状态", f?.total ? f.light : "无问题")}
      </section>
      <p class="muted">负责人：${org.name(u.head) || "—"}　分管领导：${org.name(u.leader) || "—"}</p>
      <h2>未销号的问题</h2>
      ${open.length ? itemTable(v, open) : html`<p class="card muted">没有未销号的问题。</p>`}
      <p><a href="/看板/ledger?unit=${encodeURIComponent(u.name)}">该单位全部问题 →</a></p>`;
    return c.html(page({ title: u.name, org: org_, who: who(v), nav: "overview", body }));
  });

  // ---------------------------------------------------------------- circulars
  web.get("/看板/circulars", async (c) => {
    const v = await viewer(c);
    if (!v) return gate(c);
    const all = await read.circular.findMany({ orderBy: [{ month: "desc" }, { seq: "desc" }], take: 60 });
    const body = html`
      <h1>已发布的通报</h1>
      ${all.length
        ? all.map(
            (x) => html`<section class="card circular">
              <h2>${+x.month.slice(0, 4)}年${+x.month.slice(5)}月${x.seq > 1 ? "（更正）" : ""} <small>${fmtDate(cal.today(x.publishedAt))}发布${x.publishedBy ? "，" + org.name(x.publishedBy) : ""}</small></h2>
              ${x.reason ? html`<p class="muted">更正原因：${x.reason}</p>` : ""}
              <div class="circular-text">${x.text.split("\n").map((l) => html`<p>${l}</p>`)}</div>
            </section>`,
          )
        : html`<p class="card muted">还没有发布过通报。${campaignMonths(cfg).length ? "每月第 " + cfg.schedule.monthlyCircularWorkday + " 个工作日起草上月通报，审核发布后在这里留存。" : ""}</p>`}`;
    return c.html(page({ title: "通报", org: org_, who: who(v), nav: "circulars", body }));
  });

  function itemTable(v: Viewer, rows: ItemRow[]): Html {
    return html`<table class="items">
      <thead><tr><th>编号</th><th>单位</th><th>问题</th><th>状态</th><th>截止</th><th>责任人</th></tr></thead>
      <tbody>
        ${rows.map((i) => {
          const level: Level = levelFor(org, v.me, i);
          const title = titleAt(level, i);
          const overdue = !!i.deadline && i.status !== "已销号" && i.deadline < v.view.today;
          return html`<tr class="${overdue ? "overdue" : ""}">
            <td data-label="编号"><a href="/看板/item/${i.no}">#${i.no}</a></td>
            <td data-label="单位">${i.unitName ?? "未交办"}</td>
            <td data-label="问题">${title ? html`<a href="/看板/item/${i.no}">${title}</a>` : html`<span class="muted">（仅限承办单位和督办员查看）</span>`}${isAnonymous(i) && title ? html` <span class="tag">匿名</span>` : ""}</td>
            <td data-label="状态">${stateText(v.view, i)}</td>
            <td data-label="截止">${i.deadline ? fmtDate(i.deadline, v.view.today) : "—"}</td>
            <td data-label="责任人">${level === "basic" ? "—" : org.name(i.assigneeId) || "—"}</td>
          </tr>`;
        })}
      </tbody>
    </table>`;
  }
}

const ITEM_FIELDS = { no: true, title: true, unitName: true, status: true, deadline: true, anonymous: true, assigneeId: true, reporterId: true, category: true, sourceRoomId: true } as const;
type ItemRow = { no: number; title: string; unitName: string | null; status: string; deadline: string | null; anonymous: boolean; assigneeId: string | null; reporterId: string | null; category: string | null; sourceRoomId: string | null };

/**
 * New and closed items per month of the campaign, in its timezone. Counted per UTC hour in SQL (one
 * grouped pass each, no per-month comparisons: 100,000 items in ~30 ms), each hour then put in its local
 * month here (exact for timezones a whole number of hours from UTC, as 北京时间 is): the same figures
 * as the circular's monthlyTrend.
 */
async function trend(read: Reader, cfg: Config, cal: Calendar): Promise<{ month: string; created: number; closed: number }[]> {
  const months = campaignMonths(cfg);
  const by = async (col: "createdAt" | "closedAt") => {
    const h = rawSql(timeText(read, `"${col}"`, 13));
    const rows = await read.$queryRaw<{ h: string; n: number | bigint }[]>`
      SELECT ${h} AS "h", COUNT(*) AS "n" FROM "Item" WHERE "campaign" = ${cfg.campaign.name} AND ${rawSql(`"${col}"`)} IS NOT NULL GROUP BY ${h}`;
    const per = new Map<string, number>();
    for (const r of rows) {
      const month = cal.today(new Date(r.h + ":00:00Z")).slice(0, 7);
      per.set(month, (per.get(month) ?? 0) + Number(r.n));
    }
    return per;
  };
  const [created, closed] = [await by("createdAt"), await by("closedAt")];
  return months.map((month) => ({ month, created: created.get(month) ?? 0, closed: closed.get(month) ?? 0 }));
}

function figure(label: string, value: string | number, cls = ""): Html {
  return html`<div class="figure ${cls}"><div class="value">${value}</div><div class="label">${label}</div></div>`;
}

function unitTable(list: UnitFigures[]): Html {
  if (!list.length) return html`<p class="muted">还没有交办到单位的问题。</p>`;
  return html`<table class="units">
    <thead><tr><th>排名</th><th>单位</th><th>状态</th><th>问题</th><th>已销号</th><th>逾期</th><th>按期完成率</th></tr></thead>
    <tbody>
      ${list.map(
        (f, i) => html`<tr>
          <td data-label="排名">${i + 1}</td>
          <td data-label="单位"><a href="/看板/unit/${encodeURIComponent(f.unit)}">${f.unit}</a></td>
          <td data-label="状态">${light(f.light)}</td>
          <td data-label="问题">${f.total}</td>
          <td data-label="已销号">${f.closed}</td>
          <td data-label="逾期">${f.overdue}</td>
          <td data-label="按期完成率">${pct(f.completion)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The monthly trend as an SVG drawn here (no script, no inline style): new and closed bars per month. */
function trendSvg(months: { month: string; created: number; closed: number }[]): Html {
  if (!months.length) return html`<p class="muted">整顿尚未开始。</p>`;
  const W = 440;
  const H = 240;
  const pad = { l: 36, r: 10, t: 16, b: 36 };
  const max = Math.max(1, ...months.flatMap((m) => [m.created, m.closed]));
  const step = (W - pad.l - pad.r) / months.length;
  const bw = Math.max(4, Math.min(22, step / 2 - 4));
  const y = (n: number) => pad.t + (H - pad.t - pad.b) * (1 - n / max);
  const ticks = [0, Math.ceil(max / 2), max];
  return html`<svg class="trend" viewBox="0 0 ${W} ${H}" role="img" aria-label="逐月新增与销号问题数">
    ${ticks.map((t) => html`<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e6eb" /><text x="${pad.l - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11" fill="#66707d">${t}</text>`)}
    ${months.map((m, i) => {
      const x = pad.l + i * step + step / 2;
      return html`<g>
        <rect x="${x - bw - 1}" y="${y(m.created)}" width="${bw}" height="${y(0) - y(m.created)}" fill="#3b6fd6"><title>${+m.month.slice(5)}月新增 ${m.created}</title></rect>
        <rect x="${x + 1}" y="${y(m.closed)}" width="${bw}" height="${y(0) - y(m.closed)}" fill="#3a9d5d"><title>${+m.month.slice(5)}月销号 ${m.closed}</title></rect>
        <text x="${x}" y="${H - pad.b + 16}" text-anchor="middle" font-size="12" fill="#39414d">${+m.month.slice(5)}月</text>
      </g>`;
    })}
    <rect x="${W - 150}" y="${H - 16}" width="10" height="10" fill="#3b6fd6" /><text x="${W - 136}" y="${H - 7}" font-size="12" fill="#39414d">新增</text>
    <rect x="${W - 90}" y="${H - 16}" width="10" height="10" fill="#3a9d5d" /><text x="${W - 76}" y="${H - 7}" font-size="12" fill="#39414d">销号</text>
  </svg>`;
}
