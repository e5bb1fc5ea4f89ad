// The web pages in a real browser (issue "Web"): Debian's chromium driven by playwright-core, against
// `npm start` (the production entry) in playground mode on a temp database. Screenshots of every page at
// 390×844 and 1280×800 go to test/artifacts/ (ignored by git) to be looked at.
// Needs /usr/bin/chromium and a CJK font: `apt-get install -y chromium fonts-wqy-microhei` (.ci/run does).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVIDENCE_PNG, ROOT } from "../helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "test/artifacts");
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;
const HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>公开栏破损";

let child: ChildProcess;
let base = "";
let browser: Browser;
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error("浏览器测试需要 Debian 的 chromium：apt-get install -y chromium fonts-wqy-microhei");
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-web-"));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHATY_|WECOM_|DUBAN_|DATABASE_URL$)/.test(k)));
  child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: { ...env, DATABASE_URL: "file:" + path.join(dir, "d.db"), DUBAN_EVIDENCE_DIR: path.join(dir, "evidence"), DUBAN_WEB_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("npm start did not print its address: " + out)), 60_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    child.on("exit", (code) => reject(new Error(`npm start exited (${code}): ${out}`)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  child?.kill("SIGTERM");
});

async function context(size: keyof typeof SIZES): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: SIZES[size], locale: "zh-CN" });
  const page = await ctx.newPage();
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  return { ctx, page };
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  // phone first: nothing wider than the screen (no horizontal scrolling of the page)
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll, `${name} scrolls sideways`).toBeLessThanOrEqual(inner);
}

/** In the playground: be `who` (a member id) in `chat` (a group's name, or "private"), say `text`, wait for `answer`. */
async function say(page: Page, who: string, chat: string, text: string, answer: RegExp | string) {
  await page.selectOption("#who", who);
  if (chat === "private") await page.click("#private");
  else await page.click(`#rooms button:text-is("${chat}")`);
  await page.fill("#text", text);
  await page.click("#send button[type=submit]");
  await page.locator(".msg.bot .bubble", { hasText: answer }).last().waitFor({ timeout: 20_000 });
}

async function dashboardLink(page: Page, who: string): Promise<string> {
  await say(page, who, "private", "/看板", "工作看板");
  const href = await page.locator(".msg.bot .bubble a", { hasText: "/login?t=" }).last().getAttribute("href");
  expect(href).toMatch(/\/login\?t=/);
  return href!;
}

describe("in the browser", () => {
  let links: { first: string; other: string };

  it("the playground: a 干部 reports, a 督办员 assigns, the clock jumps to a reminder, a photo is evidence", async () => {
    const { ctx, page } = await context("desktop");
    await page.goto(base + "/");
    await page.locator("#time").filter({ hasText: /\d{4}-\d{2}-\d{2}/ }).waitFor();
    await say(page, "zhangsan", "东村工作群", `/上报 ${HOSTILE}`, "已登记 #1");
    await shot(page, "playground-desktop");
    await say(page, "ban1", "private", "/交办 #1 @东村 @张三 截止:两个工作日 措施:本周内修好", "已交办 #1");
    await page.click("#next");
    await page.click(`#rooms button:text-is("东村工作群")`);
    await page.locator(".msg.bot .bubble", { hasText: "督办提醒" }).waitFor({ timeout: 20_000 });
    await say(page, "zhangsan", "东村工作群", "/整改 #1 已修好", "已提交 #1");
    await page.setInputFiles("#image", EVIDENCE_PNG);
    await page.locator(".msg.bot .bubble", { hasText: "已收到 #1 的整改佐证照片" }).waitFor({ timeout: 20_000 });
    links = { first: await dashboardLink(page, "shuji"), other: await dashboardLink(page, "chenqi") };
    await ctx.close();
    const phone = await context("phone");
    await phone.page.goto(base + "/");
    await phone.page.locator(".msg .bubble").first().waitFor();
    await shot(phone.page, "playground-phone");
    await phone.ctx.close();
  }, 120_000);

  it("the dashboard: log in with the link got in chat, the overview, filter the ledger, open the item and see its photo", async () => {
    for (const size of ["desktop", "phone"] as const) {
      const { ctx, page } = await context(size);
      const link = size === "desktop" ? links.first : await (async () => {
        const pg = await ctx.newPage();
        await pg.goto(base + "/");
        await pg.locator("#time").filter({ hasText: /\d{4}/ }).waitFor();
        const l = await dashboardLink(pg, "ban1");
        await pg.close();
        return l;
      })();
      await page.goto(link);
      await shot(page, `login-${size}`);
      await page.click("text=进入看板");
      await page.locator("h1", { hasText: "总览" }).waitFor();
      await shot(page, `overview-${size}`);
      await page.click(".top-nav >> text=台账");
      await page.selectOption("select[name=unit]", "东村");
      await page.click("text=筛选");
      await page.waitForURL(/unit=/);
      expect(await page.locator("table.items tbody tr").count()).toBe(1);
      // the hostile title is text, not markup
      await expect.poll(() => page.locator("table.items").innerText()).toContain("<script>alert(1)</script>");
      await shot(page, `ledger-${size}`);
      await page.click("table.items a >> nth=0");
      await page.locator("h2", { hasText: "办理过程" }).waitFor();
      const img = page.locator(".photos img").first();
      await img.waitFor();
      await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBeGreaterThan(0);
      await shot(page, `item-${size}`);
      await page.click(".top-nav >> text=通报");
      await shot(page, `circulars-${size}`);
      await page.goto(base + encodeURI("/看板/unit/东村"));
      await shot(page, `unit-${size}`);
      await ctx.close();
    }
  }, 120_000);

  it("a used link is refused; a 负责人 opening another unit's item by its address sees no details", async () => {
    const { ctx, page } = await context("phone");
    await page.goto(links.first);
    await page.click("text=进入看板");
    await page.locator("h1", { hasText: "无法进入看板" }).waitFor();
    expect(await page.locator("main").innerText()).toContain("已经用过");
    await shot(page, "refused-phone");
    // 陈七 heads 西村; #1 is 东村's
    await page.goto(links.other);
    await page.click("text=进入看板");
    await page.locator("h1", { hasText: "总览" }).waitFor();
    await page.goto(base + encodeURI("/看板/item/1"));
    const text = await page.locator("main").innerText();
    expect(text).toContain("#1");
    expect(text).not.toContain("公开栏破损");
    expect(text).not.toContain("办理过程");
    expect(await page.locator(".photos img").count()).toBe(0);
    await shot(page, "item-other-unit-phone");
    await ctx.close();
  }, 60_000);

  it("an expired link is refused", async () => {
    const { ctx, page } = await context("desktop");
    await page.goto(base + "/");
    await page.locator("#time").filter({ hasText: /\d{4}/ }).waitFor();
    const link = await dashboardLink(page, "ban2");
    // the playground's clock 11 minutes on
    const now = await page.evaluate(() => fetch("/api/state").then((r) => r.json()).then((s) => s.clock.iso as string));
    const later = new Date(new Date(now).getTime() + 11 * 60_000 + 8 * 3600_000).toISOString().slice(0, 16); // in 北京时间
    const r = await page.evaluate((to) => fetch("/api/clock", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ to }) }).then((x) => x.status), later);
    expect(r).toBe(200);
    await page.goto(link);
    await page.click("text=进入看板");
    await page.locator("h1", { hasText: "无法进入看板" }).waitFor();
    expect(await page.locator("main").innerText()).toContain("已过期");
    await ctx.close();
  }, 60_000);

  it("no script of a report ever ran (no dialog fired on any page)", () => {
    expect(dialogs).toEqual([]);
  });
});
