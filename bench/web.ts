// Dashboard pages at county scale (600 units, 20,000 members, 100,000 items: the bench township of
// township.ts), as a 督办员 (sees everything) and as a 负责人 (sees their unit in full, the rest as
// numbers). Each page is asked for through the real routes (Hono's app.request, no socket), 20 times
// after 2 warm-ups; prints p50 / p99 / max in ms beside the target.
// Target (issue "Web"): every page ≤ 200 ms.
//   npm run bench:web            (builds the township once under .tmp/bench, then measures)
import path from "node:path";
import { performance } from "node:perf_hooks";
import { issueLink, redeemLink } from "../src/web/auth.ts";
import { createWeb } from "../src/web/server.ts";
import { DIR, NOW, openTownship } from "./township.ts";

const TARGET_MS = 200;
const RUNS = 20;

const app = await openTownship("web");
const web = createWeb({ duban: app, now: () => NOW, evidenceDir: path.join(DIR, "evidence") });

async function session(memberId: string): Promise<string> {
  const t = await app.db.$transaction((tx) => issueLink(tx, memberId, NOW));
  const r = await redeemLink(app.db, t, NOW);
  if (!r.ok) throw new Error("no session");
  return "duban_session=" + r.session;
}

const pages = [
  ["总览", "/看板/"],
  ["台账 第1页", "/看板/ledger"],
  ["台账 第2000页", "/看板/ledger?page=2000"],
  ["台账 按单位", "/看板/ledger?unit=单位17"],
  ["台账 只看逾期", "/看板/ledger?overdue=1"],
  ["台账 按截止排序", "/看板/ledger?sort=deadline"],
  ["台账 搜索", "/看板/ledger?q=问题99999"],
  ["问题详情", "/看板/item/50000"],
  ["单位", "/看板/unit/单位17"],
  ["通报", "/看板/circulars"],
] as const;

const rows: string[] = [];
let worst = 0;
for (const [who, id] of [["督办员", "ban0"], ["负责人", "m528"]] as const) {
  const cookie = await session(id);
  for (const [name, url] of pages) {
    const times: number[] = [];
    for (let i = 0; i < RUNS + 2; i++) {
      const t = performance.now();
      const r = await web.request(encodeURI(url), { headers: { Cookie: cookie } });
      await r.text();
      if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
      if (i >= 2) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    worst = Math.max(worst, p(0.99));
    rows.push(`| ${who} | ${name} | ${p(0.5).toFixed(1)} | ${p(0.99).toFixed(1)} | ${times[times.length - 1].toFixed(1)} | ≤ ${TARGET_MS} |`);
  }
}
console.log(`dashboard pages, 600 units / 20,000 members / 100,000 items, ${RUNS} runs each (ms)`);
console.log("| who | page | p50 | p99 | max | target |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
console.log(JSON.stringify({ bench: "web", worstP99Ms: Math.round(worst * 10) / 10, targetMs: TARGET_MS, met: worst <= TARGET_MS }));
await app.close();
