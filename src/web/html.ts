// Page shell and small pieces of markup for the dashboard and the playground. Every interpolation goes
// through hono/html's `html` tag, which escapes it (SPEC §7: nothing a user typed is pasted into markup
// unescaped); `raw` is used only for markup built here from escaped pieces. No inline script or style:
// the Content-Security-Policy (server.ts) forbids both.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
export { html, raw };

/** The page: phone first (one column under 720 px), a top bar with the township and the person. */
export function page(o: { title: string; org: string; who?: string; nav?: string; body: Html; scripts?: string[] }): Html {
  const nav = o.who
    ? html`<nav class="top-nav">
        ${navLink("/看板/", "总览", o.nav === "overview")} ${navLink("/看板/ledger", "台账", o.nav === "ledger")}
        ${navLink("/看板/circulars", "通报", o.nav === "circulars")}
        <form method="post" action="/看板/logout" class="logout"><button type="submit">退出</button></form>
      </nav>`
    : "";
  return html`<!doctype html>
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${o.title} · ${o.org}作风整顿督办</title>
        <link rel="stylesheet" href="/static/duban.css" />
        ${(o.scripts ?? []).map((s) => html`<script src="${s}" defer></script>`)}
      </head>
      <body>
        <header class="bar">
          <div class="brand">${o.org} · 作风整顿督办</div>
          ${o.who ? html`<div class="who">${o.who}</div>` : ""}
        </header>
        ${nav}
        <main>${o.body}</main>
      </body>
    </html>`;
}

function navLink(href: string, text: string, on: boolean): Html {
  return html`<a href="${href}" class="${on ? "on" : ""}">${text}</a>`;
}

/** A 红/黄/绿 dot with its word (colour is never the only signal). */
export function light(l: string): Html {
  const cls = l === "红" ? "red" : l === "黄" ? "yellow" : l === "绿" ? "green" : "none";
  return html`<span class="light ${cls}">${l}</span>`;
}

/** A message page (refused link, not found, no permission). */
export function notice(org: string, title: string, text: string, status = ""): Html {
  return page({ title, org, body: html`<section class="card notice ${status}"><h1>${title}</h1><p>${text}</p></section>` });
}
