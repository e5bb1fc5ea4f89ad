// Duban's web pages, served by its own process (SPEC §8 Web): the dashboard (/看板/…, needs a session
// from a /看板 link) and, only where no production channel is configured (or DUBAN_PLAYGROUND=1), the
// playground (/). Fully offline: every asset is a file of this repository or of node_modules.
// Headers on every answer: a Content-Security-Policy that allows no inline script or style and nothing
// from elsewhere, no framing, no referrer, no MIME sniffing.
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import type { App } from "../app.ts";
import { ASSETS_DIR } from "../paths.ts";
import { mountDashboard } from "./dashboard.ts";
import { notice } from "./html.ts";

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const STATIC_DIR = path.join(ASSETS_DIR, "web");
const TYPES: Record<string, string> = { ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml" };

export interface WebOptions {
  duban: App;
  now: () => Date;
  evidenceDir: string;
  /** mounts the playground's routes (src/playground/web.ts); absent in production */
  playground?: (web: Hono) => void;
  /** cookies only over HTTPS (DUBAN_PUBLIC_URL starts with https:) */
  secureCookie?: boolean;
}

export function createWeb(o: WebOptions): Hono {
  const web = new Hono();
  web.use(async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
    if (!c.res.headers.get("Cache-Control")) c.header("Cache-Control", "no-store");
  });
  // our own files only: a fixed list, no path from the request reaches the file system
  const files = new Map<string, { body: string; type: string }>();
  for (const f of ["duban.css", "playground.js"]) files.set(f, { body: readFileSync(path.join(STATIC_DIR, f), "utf8"), type: TYPES[path.extname(f)] });
  web.get("/static/:file", (c) => {
    const f = files.get(c.req.param("file"));
    if (!f) return c.body(null, 404);
    c.header("Cache-Control", "public, max-age=300");
    return c.body(f.body, 200, { "Content-Type": f.type });
  });
  // for a supervisor or a load balancer: 200 when the database answers and every channel is connected
  web.get("/healthz", async (c) => {
    const h = await o.duban.health();
    return c.json(h, h.ok ? 200 : 503);
  });
  mountDashboard(web, o.duban, { now: o.now, evidenceDir: o.evidenceDir, secureCookie: !!o.secureCookie });
  if (o.playground) o.playground(web);
  else web.get("/", (c) => c.redirect("/看板/", 302));
  web.notFound((c) => c.html(notice(o.duban.cfg.org, "没有这个页面", "请检查地址，或从看板首页进入。"), 404));
  web.onError((e, c) => {
    console.error(e);
    return c.html(notice(o.duban.cfg.org, "出错了", "页面没有打开，请稍后再试；一直这样请把这句话和时间告诉技术人员。"), 500);
  });
  return web;
}

/** Listen on host:port; resolves with the bound address (port 0: any free port). */
export function listen(web: Hono, host: string, port: number): Promise<{ server: ServerType; port: number; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: web.fetch, hostname: host, port }, (info: AddressInfo) =>
      resolve({ server, port: info.port, close: () => new Promise<void>((r) => { (server as any).closeAllConnections?.(); server.close(() => r()); }) }),
    );
    server.once("error", reject);
  });
}
