// The circular's chart: completion rate by unit and the month-by-month trend of new vs closed problems.
// echarts renders SVG on the server, resvg turns it into a PNG. The CJK font (Noto Sans SC Regular, OFL)
// is a file of this repository (assets/fonts): no system font, nothing downloaded at run time.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Resvg, renderAsync, type ResvgRenderOptions } from "@resvg/resvg-js";
import { ASSETS_DIR } from "../paths.ts";

const require = createRequire(import.meta.url);
// echarts' single-file CommonJS build: loading its ES module tree (hundreds of files) takes 4× as long
const echarts = require("echarts") as typeof import("echarts");
export const CJK_FONT_FILE = path.join(ASSETS_DIR, "fonts/NotoSansSC_400Regular.ttf");
export const CJK_FONT_FAMILY = "Noto Sans SC";

export interface ChartData {
  title: string;
  /** completion: 按期完成率 (null: nothing due yet, drawn as 未到期) */
  units: { name: string; completion: number | null; light: "红" | "黄" | "绿" }[];
  months: { month: string; created: number; closed: number }[];
}

const LIGHT = { 红: "#d9363e", 黄: "#e6a23c", 绿: "#3a9d5d" } as const;
const WIDTH = 1200;

export function chartSvg(d: ChartData): string {
  const units = d.units.slice(0, 40); // a readable bar chart; the ledger has every unit
  const barHeight = Math.max(360, units.length * 26 + 120);
  const height = barHeight + 420;
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: WIDTH, height });
  chart.setOption({
    animation: false,
    backgroundColor: "#ffffff",
    textStyle: { fontFamily: CJK_FONT_FAMILY },
    title: [
      { text: d.title, left: "center", top: 12, textStyle: { fontSize: 26, fontFamily: CJK_FONT_FAMILY } },
      { text: "各单位整改完成率（按期完成率）", left: 40, top: 60, textStyle: { fontSize: 18, fontFamily: CJK_FONT_FAMILY } },
      { text: "逐月新增与销号问题数", left: 40, top: barHeight + 40, textStyle: { fontSize: 18, fontFamily: CJK_FONT_FAMILY } },
    ],
    legend: { data: ["新增", "销号"], top: barHeight + 40, right: 60, textStyle: { fontSize: 15, fontFamily: CJK_FONT_FAMILY } },
    grid: [
      { left: 170, right: 80, top: 100, height: barHeight - 140 },
      { left: 80, right: 60, top: barHeight + 90, height: 260 },
    ],
    xAxis: [
      { gridIndex: 0, type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%", fontFamily: CJK_FONT_FAMILY } },
      { gridIndex: 1, type: "category", data: d.months.map((m) => `${+m.month.slice(5)}月`), axisLabel: { fontSize: 14, fontFamily: CJK_FONT_FAMILY } },
    ],
    yAxis: [
      { gridIndex: 0, type: "category", inverse: true, data: units.map((u) => u.name), axisLabel: { fontSize: 14, fontFamily: CJK_FONT_FAMILY } },
      { gridIndex: 1, type: "value", minInterval: 1, axisLabel: { fontFamily: CJK_FONT_FAMILY } },
    ],
    series: [
      {
        type: "bar",
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: units.map((u) =>
          u.completion === null
            ? { value: 0, itemStyle: { color: LIGHT[u.light] }, label: { formatter: "未到期" } }
            : { value: Math.round(u.completion * 100), itemStyle: { color: LIGHT[u.light] } },
        ),
        label: { show: true, position: "right", formatter: "{c}%", fontFamily: CJK_FONT_FAMILY },
        barMaxWidth: 18,
      },
      { name: "新增", type: "line", xAxisIndex: 1, yAxisIndex: 1, data: d.months.map((m) => m.created), label: { show: true }, itemStyle: { color: "#d9363e" } },
      { name: "销号", type: "line", xAxisIndex: 1, yAxisIndex: 1, data: d.months.map((m) => m.closed), label: { show: true }, itemStyle: { color: "#3a9d5d" } },
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

const options = (fontFiles: string[]): ResvgRenderOptions => ({
  background: "#ffffff",
  font: { fontFiles, loadSystemFonts: false, defaultFontFamily: CJK_FONT_FAMILY, sansSerifFamily: CJK_FONT_FAMILY },
});

/** SVG → PNG with only the bundled CJK font (the same picture on every machine). Blocks: tests, tools. */
export function svgToPng(svg: string, fontFiles: string[] = [CJK_FONT_FILE]): Buffer {
  return Buffer.from(new Resvg(svg, options(fontFiles)).render().asPng());
}

export function chartPng(d: ChartData): Buffer {
  return svgToPng(chartSvg(d));
}

/**
 * The same PNG, rendered (font loading, layout, rasterising: ~0.5 s for a big township) on libuv's thread
 * pool instead of the event loop, so commands are answered meanwhile. What the bot uses.
 */
export async function chartPngAsync(d: ChartData, fontFiles: string[] = [CJK_FONT_FILE]): Promise<Buffer> {
  const img = await renderAsync(chartSvg(d), options(fontFiles));
  return Buffer.from(img.asPng());
}

/** The code points a TrueType/OpenType font maps to glyphs (its cmap: formats 4 and 12). */
export function fontCodePoints(file: string = CJK_FONT_FILE): Set<number> {
  const b = readFileSync(file);
  const tables = b.readUInt16BE(4);
  let cmap = -1;
  for (let i = 0; i < tables; i++) if (b.toString("latin1", 12 + i * 16, 16 + i * 16) === "cmap") cmap = b.readUInt32BE(12 + i * 16 + 8);
  const out = new Set<number>();
  if (cmap < 0) return out;
  const n = b.readUInt16BE(cmap + 2);
  for (let i = 0; i < n; i++) {
    const off = cmap + b.readUInt32BE(cmap + 4 + i * 8 + 4);
    const format = b.readUInt16BE(off);
    if (format === 12) {
      const groups = b.readUInt32BE(off + 12);
      for (let g = 0; g < groups; g++) {
        const [start, end] = [b.readUInt32BE(off + 16 + g * 12), b.readUInt32BE(off + 20 + g * 12)];
        for (let c = start; c <= end; c++) out.add(c);
      }
    } else if (format === 4) {
      const segs = b.readUInt16BE(off + 6) / 2;
      const ends = off + 14;
      const starts = ends + segs * 2 + 2;
      const deltas = starts + segs * 2;
      const ranges = deltas + segs * 2;
      for (let s = 0; s < segs; s++) {
        const [start, end, delta, ro] = [b.readUInt16BE(starts + s * 2), b.readUInt16BE(ends + s * 2), b.readInt16BE(deltas + s * 2), b.readUInt16BE(ranges + s * 2)];
        for (let c = start; c <= end && c !== 0xffff; c++) {
          const glyph = ro === 0 ? (c + delta) & 0xffff : b.readUInt16BE(ranges + s * 2 + ro + (c - start) * 2);
          if (glyph) out.add(c);
        }
      }
    }
  }
  return out;
}

/** Characters of `names` the chart's font has no glyph for (they would be drawn as nothing). */
export function missingGlyphs(names: string[], points: Set<number> = fontCodePoints()): string[] {
  const miss = new Set<string>();
  for (const n of names) for (const ch of n) if (!/\s/.test(ch) && !points.has(ch.codePointAt(0)!)) miss.add(ch);
  return [...miss];
}
