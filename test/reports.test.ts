// Issue: the ledger (.xlsx), the work-summary figures, the chart in the circular.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { Resvg } from "@resvg/resvg-js";
import { describe, expect, it } from "vitest";
import { CJK_FONT_FAMILY, CJK_FONT_FILE, chartPng, chartSvg } from "../src/reports/chart.ts";
import { LEDGER_COLUMNS, safeText } from "../src/reports/ledger.ts";
import { rowWriter } from "../src/reports/xlsx-rows.ts";
import JSZip from "jszip";
import { parseConfig } from "../src/config/load.ts";
import type { Config } from "../src/config/schema.ts";
import { EXAMPLE_CONFIG, bot, example } from "./helpers.ts";

const G = "东村工作群";

/** A small township history: categories, measures, a return, extensions, an anonymous report, overdue. */
async function history(cfg?: Config) {
  const b = await bot({ start: "2026-03-02T09:30:00+08:00", cfg });
  await b.say("ban1", "/上报 =HYPERLINK(\"http://x\",\"点我\") 公开栏 #村务公开 @东村 @张三 截止:3月6日");
  await b.say("ban1", "/交办 #1 @东村 @张三 截止:3月6日 措施:@SUM(A1) 立即更新");
  await b.say("zhangsan", "/整改 #1 已更新", G);
  await b.say("ban1", "/退回 #1 照片不清");
  await b.say("zhangsan", "/整改 #1 已补拍", G);
  await b.say("ban2", "/销号 #1");
  await b.say("xiaomei", "/匿名上报 村主任优亲厚友 #懒政怠政");
  await b.say("ban1", "/交办 #2 @西村 @小梅 截止:3月4日 措施:重新评定");
  await b.say("ban1", "/上报 报销凭证不全 #八项规定 @镇财政所 @钟会计 截止:3月20日");
  await b.say("kuaiji", "/延期 #3 3月31日 等系统升级");
  await b.say("ban1", "/同意延期 #3");
  await b.say("zhangsan", "/上报 -1 号文件未传达", G);
  await b.say("ban1", "/上报 低保评议不公开 @西村 截止:6月30日");
  await b.say("ban1", "/长期 #5 计划:分步公开 节点:4月30日,6月30日");
  await b.at("2026-03-10T10:00:00+08:00");
  return b;
}

async function openXlsx(b: Awaited<ReturnType<typeof bot>>, name: string) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path.join(b.sim.outDir, name));
  return wb;
}

describe("/台账: the ledger as .xlsx", () => {
  it("sheets, headers, rows, dates, frozen header, A4 landscape, formula injection, anonymous source", async () => {
    const b = await history();
    const got = await b.say("ban1", "/台账");
    expect(got[0].text).toBe("青山镇问题整改台账（5 个问题）见下方文件");
    expect(got[1]).toMatchObject({ to: "ban1", file: expect.stringMatching(/^\d{3}-台账-青山镇-20260310-100000\.xlsx$/) });
    const wb = await openXlsx(b, got[1].file!);
    expect(wb.worksheets.map((w) => w.name)).toEqual(["汇总", "问题清单", "东村", "西村", "镇财政所"]);
    const list = wb.getWorksheet("问题清单")!;
    expect((list.getRow(1).values as unknown[]).slice(1)).toEqual(LEDGER_COLUMNS.map((c) => c.header));
    expect(list.rowCount).toBe(1 + 5);
    expect(list.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
    expect(list.pageSetup).toMatchObject({ orientation: "landscape", paperSize: 9 });
    expect(list.getColumn(5).width).toBe(40);
    const row = (no: number) => {
      for (let r = 2; r <= list.rowCount; r++) if (list.getRow(r).getCell(2).value === `#${no}`) return list.getRow(r);
      throw new Error(`#${no} not in the ledger`);
    };
    // formula injection: text, never a formula, with a leading apostrophe
    const title = row(1).getCell(5);
    expect(title.type).toBe(ExcelJS.ValueType.String);
    expect(title.value).toBe("'=HYPERLINK(\"http://x\",\"点我\") 公开栏");
    expect(row(1).getCell(6).value).toBe("'@SUM(A1) 立即更新");
    expect(row(4).getCell(5).value).toBe("'-1 号文件未传达");
    // real Excel dates
    expect(row(1).getCell(9).value).toEqual(new Date("2026-03-06T00:00:00Z"));
    expect(row(1).getCell(9).numFmt).toBe("yyyy-mm-dd");
    expect(row(1).getCell(12).value).toBeInstanceOf(Date);
    expect(row(1).getCell(11).value).toBe("已销号");
    // the anonymous report: source 匿名, and the reporter appears nowhere in the file
    expect(row(2).getCell(13).value).toBe("匿名");
    expect(row(2).getCell(11).value).toBe("逾期4个工作日·红");
    const all: string[] = [];
    wb.eachSheet((ws) => ws.eachRow((r) => all.push(JSON.stringify(r.values))));
    expect(all.join("\n")).not.toMatch(/xiaomei/);
    expect(row(2).getCell(8).value).toBe("小梅"); // she is also the assignee here, by name, as 责任人
    // the summary sheet ranks units
    const sum = wb.getWorksheet("汇总")!;
    expect((sum.getRow(2).values as unknown[]).slice(1, 4)).toEqual([1, "东村", "绿"]);
    await b.close();
  });

  it("a 负责人 gets their own unit only; others are refused", async () => {
    const b = await history();
    const got = await b.say("wangwu", "/导出", G);
    expect(got[0].text).toBe("东村问题整改台账（1 个问题）见下方文件");
    expect(got[1]).toMatchObject({ room: G, file: expect.stringMatching(/台账-青山镇-东村-.*\.xlsx$/) });
    const wb = await openXlsx(b, got[1].file!);
    expect(wb.worksheets.map((w) => w.name)).toEqual(["汇总", "问题清单", "东村"]);
    expect(wb.getWorksheet("问题清单")!.rowCount).toBe(2);
    expect(await b.ask("wangwu", "/台账 @西村", G)).toBe("负责人只能导出本单位（东村）的台账，如需其他单位的台账，请联系作风整顿办");
    expect(await b.ask("zhangsan", "/台账", G)).toBe("/台账 仅限督办员、领导、负责人使用");
    await b.close();
  });
});

describe("files are always valid (SPEC §7)", () => {
  // XML 1.0 forbids C0 controls but tab/newline/CR, U+FFFE, U+FFFF and surrogates that are not a pair
  const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

  it("a report with U+FFFF and a lone surrogate (and a unit named with one) still gives a ledger Excel opens", async () => {
    // a unit whose name carries U+FFFF too: sheet names are file text as well
    const yaml = readFileSync(EXAMPLE_CONFIG, "utf8").replace("{ name: 镇农业服务中心,", '{ name: "镇农业\\uFFFF服务中心",').replace("unit: 镇农业服务中心,", 'unit: "镇农业\\uFFFF服务中心",');
    const b = await bot({ cfg: parseConfig(yaml) });
    await b.say("zhangsan", "/上报 公开栏\uffff未更新\ud800 尾巴 #村务公开", G);
    await b.say("ban1", "/交办 #1 @东村 @张三 截止:3月20日 措施:立即\ud83d更新\ufffe");
    await b.say("ban1", "/上报 农业补贴发放不及时\uffff @镇农业\uffff服务中心 截止:3月20日");
    expect((await b.db.item.findFirstOrThrow({ where: { no: 1 } })).title).toMatch(FORBIDDEN); // stored as typed
    const got = await b.say("ban1", "/台账");
    const file = path.join(b.sim.outDir, got.find((o) => o.file)!.file!);
    const zip = await JSZip.loadAsync(readFileSync(file));
    const parts = Object.keys(zip.files).filter((n) => n.endsWith(".xml"));
    for (const name of parts) {
      const xml = await zip.file(name)!.async("string");
      expect(FORBIDDEN.test(xml), name).toBe(false);
      expect(xml.includes("\ufffd") || !xml.includes("公开栏"), name).toBe(true); // replaced, not silently merged
    }
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.map((w) => w.name)).toContain("镇农业\ufffd服务中心");
    const row = wb.getWorksheet("问题清单")!.getRow(2);
    // (a lone surrogate may already reach the database as replacement characters, one or more)
    expect(row.getCell(5).value).toMatch(/^公开栏\ufffd未更新\ufffd+ 尾巴$/);
    expect(row.getCell(6).value).toMatch(/^立即\ufffd+更新\ufffd$/);
    await b.close();
  });
});

describe("/总结: every figure from the data", () => {
  it("matches counts made directly in the database", async () => {
    const b = await history();
    const text = await b.ask("shuji", "/总结");
    // counted with plain queries of each table (on whichever database the suite runs)
    const item = (where: object = {}) => b.db.item.count({ where });
    const total = await item();
    const closed = await item({ status: "已销号" });
    const num = (re: RegExp) => Number(re.exec(text)?.[1]);
    expect(num(/全镇共查摆问题(\d+)个/)).toBe(total);
    for (const cat of ["八项规定", "懒政怠政"]) expect(num(new RegExp(`${cat}方面(\\d+)个`))).toBe(await item({ category: cat }));
    expect(num(/村务公开(\d+)个/)).toBe(await item({ category: "村务公开" }));
    expect(num(/其他(\d+)个/)).toBe(await item({ category: null }));
    expect(num(/群众匿名反映(\d+)个/)).toBe(await item({ anonymous: true }));
    expect(num(/制定整改措施(\d+)条/)).toBe(await item({ measures: { not: null } }));
    expect(num(/已整改销号(\d+)个/)).toBe(closed);
    expect(num(/整改完成率(\d+)%/)).toBe(Math.round((closed / total) * 100));
    expect(num(/长期整改、分节点推进(\d+)个/)).toBe(await item({ longTerm: true }));
    expect(num(/逾期未销号(\d+)个/)).toBe(await item({ status: { not: "已销号" }, deadline: { lt: "2026-03-10" } }));
    expect(num(/退回重整(\d+)次/)).toBe(await b.db.event.count({ where: { kind: "退回" } }));
    expect(num(/经批准延期(\d+)次/)).toBe(await b.db.extensionRequest.count({ where: { status: "已同意" } }));
    expect(text).toContain("东村等1个单位问题已全部整改销号");
    expect(text).toContain("西村等1个单位尚有逾期问题");
    await b.close();
  });

  it("says nothing for a figure the data cannot support", async () => {
    const b = await bot();
    expect(await b.ask("ban1", "/总结")).toBe("截至2026年3月2日，2026年干部作风整顿尚未登记问题，暂无可统计的数据。");
    await b.say("zhangsan", "/上报 公开栏未更新", G);
    const t = await b.ask("ban1", "/总结");
    expect(t).toBe("截至2026年3月2日，全镇共查摆问题1个（其中其他1个），已整改销号0个，整改完成率0%，无逾期未销号问题。");
    expect(t).not.toMatch(/退回|延期|措施|匿名|长期/);
    await b.close();
  });
});

describe("the circular's chart", () => {
  const data = {
    title: "青山镇2026年3月干部作风整顿工作情况",
    units: [
      { name: "东村", completion: 0.5, light: "红" as const },
      { name: "镇便民服务中心", completion: 1, light: "绿" as const },
    ],
    months: [
      { month: "2026-02", created: 1, closed: 0 },
      { month: "2026-03", created: 8, closed: 6 },
    ],
  };
  const ink = (svg: string, fontFiles: string[]) => {
    const img = new Resvg(svg, { background: "#ffffff", font: { fontFiles, loadSystemFonts: false, defaultFontFamily: CJK_FONT_FAMILY } }).render();
    const px = img.pixels; // a getter that copies: read it once
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 128) dark++;
    return dark;
  };

  it("is a PNG whose Chinese is drawn with the bundled font (not tofu, not blank)", () => {
    const png = chartPng(data);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const svg = chartSvg(data);
    expect(svg).toContain("各单位整改完成率");
    expect(svg).toContain(CJK_FONT_FAMILY);
    // the same Chinese text: with the npm font it has ink; without any font nothing is drawn
    const text = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="80"><text x="10" y="55" font-size="40" font-family="${CJK_FONT_FAMILY}">整改完成率</text></svg>`;
    expect(ink(text, [CJK_FONT_FILE])).toBeGreaterThan(500);
    expect(ink(text, [])).toBe(0);
    // and the chart itself draws more with the font than without (its labels are text)
    expect(ink(svg, [CJK_FONT_FILE])).toBeGreaterThan(ink(svg, []) + 1000);
    expect(readFileSync(CJK_FONT_FILE).subarray(0, 4)).toEqual(Buffer.from([0, 1, 0, 0])); // a TrueType font
  });

  it("escapes text in the SVG (no markup pasted from names)", () => {
    const svg = chartSvg({ ...data, title: "<script>alert(1)</script>", units: [{ name: "A&B<村>", completion: 1, light: "绿" }] });
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
    expect(svg).toContain("A&amp;B&lt;村&gt;");
  });

  it("goes out with the circular; the full ledger only to a circular: full group, a unit's group its own", async () => {
    const b = await history(parseConfig(readFileSync(EXAMPLE_CONFIG, "utf8").replace("monthlyCircularWorkday: 3 }", "monthlyCircularWorkday: 3, circularReview: false }")));
    await b.at("2026-04-03T11:00:00+08:00"); // 3rd workday of April
    const circ = b.out.filter((o) => o.at === "2026-04-03T10:00:00+08:00" && o.room === "作风整顿工作群");
    // 作风整顿工作群 is `circular: true`: text and chart, not the full ledger
    const kinds = circ.map((o) => (o.text ? "text" : path.extname(o.file!)));
    expect(kinds).toContain(".png");
    expect(kinds).not.toContain(".xlsx");
    // 西村's group: its own ledger, the anonymous report as 匿名反映问题
    const mine = b.out.find((o) => o.room === "西村工作群" && o.file?.endsWith(".xlsx"));
    expect(mine).toBeDefined();
    const wb = await openXlsx(b, mine!.file!);
    const list = wb.getWorksheet("问题清单")!;
    const rows: string[] = [];
    list.eachRow((r, i) => i > 1 && rows.push(JSON.stringify(r.values)));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.includes('"西村"'))).toBe(true);
    expect(rows.join()).toContain("匿名反映问题");
    expect(rows.join()).not.toContain("优亲厚友");
    const png = readFileSync(path.join(b.sim.outDir, circ.find((o) => o.file?.endsWith(".png"))!.file!));
    expect(png.length).toBeGreaterThan(10_000);
    await b.close();
  });
});

describe("safeText", () => {
  it.each([
    ["=1+1", "'=1+1"],
    ["+86 电话", "'+86 电话"],
    ["-", "'-"],
    ["@所有人", "'@所有人"],
    ["\t=cmd", "'\t=cmd"],
    ["正常文字 =1", "正常文字 =1"],
  ])("%j → %j", (a, want) => expect(safeText(a)).toBe(want));
});

describe("ledger rows written as XML", () => {
  // rowWriter bypasses exceljs' Row/Cell objects for speed; its rows must be the bytes exceljs writes
  const COLS = [{ numFmt: "0" }, {}, {}, { numFmt: "yyyy-mm-dd" }, {}, { numFmt: "yyyy-mm-dd hh:mm" }];
  const ROWS: (string | number | Date | null | undefined)[][] = [
    [1, "#1", "东村村委会", new Date("2026-03-05T00:00:00Z"), "逾期4个工作日·红", null],
    [2, "'=HYPERLINK(\"x\")", 'a & b < c > d " \' e', null, "控制\u0001字符\u007f", new Date("2026-03-05T09:30:00Z")],
    [],
    [null, null, null],
    [3, undefined, "跳过", undefined, -1.5, new Date("1999-12-31T23:59:00Z")],
    ["只有一个"],
    [4, "行", "多出的列", null, "x", null, "第七列", 7],
  ];

  async function book(file: string, fast: boolean) {
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: false, zip: { store: true } });
    for (const name of ["甲", "乙"]) {
      const ws = wb.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
      ws.columns = COLS.map((_, i) => ({ key: `c${i}`, width: 10 + i }));
      const head = ws.addRow(COLS.map((_, i) => `列${i}`));
      head.height = 22;
      head.eachCell((c) => (c.style = { font: { bold: true } }));
      head.commit();
      const styles = COLS.map((c) => ({ ...c }));
      const extra = {};
      const add = fast
        ? rowWriter(ws, styles)
        : (values: (string | number | Date | null | undefined)[]) => {
            const row = ws.addRow(values);
            row.eachCell({ includeEmpty: true }, (cell, i) => (cell.style = styles[i - 1] ?? extra));
            row.commit();
          };
      for (const r of ROWS) add(r);
      ws.commit();
    }
    await wb.commit();
    // stored (uncompressed) entries: the XML parts are in the file as they are
    const text = readFileSync(file).toString("utf8");
    return [...text.matchAll(/<worksheet[\s\S]*?<\/worksheet>|<styleSheet[\s\S]*?<\/styleSheet>/g)].map((m) => m[0]);
  }

  it("are byte for byte the rows exceljs writes, with the same styles", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "duban-rows-"));
    const slow = await book(path.join(dir, "slow.xlsx"), false);
    const fast = await book(path.join(dir, "fast.xlsx"), true);
    expect(slow.length).toBe(3);
    expect(fast).toEqual(slow);
    expect(fast[0]).toContain('t="str"><v>a &amp; b &lt; c &gt; d &quot; &apos; e</v>');
  });
});

describe("the chart's font", () => {
  it("has a glyph for every unit and person name of the sample township, and for rare characters in names", async () => {
    const { fontCodePoints, missingGlyphs } = await import("../src/reports/chart.ts");
    const cfg = example();
    const points = fontCodePoints();
    expect(points.size).toBeGreaterThan(28_000); // the whole Regular weight, not a GB2312 subset
    expect(missingGlyphs([cfg.org, ...cfg.units.map((u) => u.name), ...cfg.members.map((m) => m.name), cfg.office.name], points)).toEqual([]);
    // names that a GB2312 subset loses ("喆堃村" drawn as "村"), and Extension A
    expect(missingGlyphs(["喆堃村", "赟", "珺", "昇", "㛃"], points)).toEqual([]);
    // the check itself sees a character the font lacks (a private-use code point)
    expect(missingGlyphs(["\uE000村"], points)).toEqual(["\uE000"]);
  });
});
