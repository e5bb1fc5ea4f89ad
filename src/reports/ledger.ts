// The problem ledger (问题清单 / 整改台账) a township hands in, as .xlsx with exceljs' streaming writer:
// a summary sheet with the unit ranking, the 问题清单 with every item, and a sheet per unit. Chinese
// headers, frozen header row, column widths, real Excel dates, A4 landscape. Text a user typed that
// starts like a formula (= + - @) is written as text with a leading apostrophe; characters XML forbids
// (U+FFFF, lone surrogates, controls) never reach the file (xmlSafe), in cells or sheet names.
// Who gets which ledger (SPEC §1): `audience: "office"` is the full ledger (督办员, 领导, a `circular: full`
// group); `audience: "unit"` is one unit's ledger for its own group or 负责人, anonymous items redacted.
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import type { Config } from "../config/schema.ts";
import type { Reader } from "../db/client.ts";
import { empty, groupConcat, int, raw, sql, timeText } from "../db/sql.ts";
import { fmtDate, type Calendar, type Ymd } from "../domain/calendar.ts";
import type { Org } from "../domain/org.ts";
import { pct, rank, unitFigures } from "../jobs/stats.ts";
import { ANONYMOUS_TITLE } from "../domain/visibility.ts";
import { rowWriter, xmlSafe } from "./xlsx-rows.ts";

export const LEDGER_COLUMNS = [
  { header: "序号", width: 7 },
  { header: "编号", width: 8 },
  { header: "单位", width: 14 },
  { header: "问题类别", width: 12 },
  { header: "问题描述", width: 40 },
  { header: "整改措施", width: 32 },
  { header: "责任领导", width: 10 },
  { header: "责任人", width: 10 },
  { header: "完成时限", width: 13, numFmt: "yyyy-mm-dd" },
  { header: "整改进展", width: 32 },
  { header: "状态", width: 12 },
  { header: "销号时间", width: 17, numFmt: "yyyy-mm-dd hh:mm" },
  { header: "来源", width: 10 },
] as const;

type Cell = string | number | Date | null;

interface ItemRow {
  id: number;
  no: number;
  unitName: string | null;
  category: string | null;
  title: string;
  measures: string | null;
  assigneeId: string | null;
  reporterId: string | null;
  anonymous: number | boolean;
  deadline: string | null;
  status: string;
  closedAt: string | null;
  progress: string | null;
  /** 长期整改: "seq:deadline:done" of each milestone, comma-separated (any order) */
  milestones?: string | null;
  /** "detail@at" of each 节点 event (the day a milestone was done), \u0001-separated */
  milestonesDone?: string | null;
}

/** Neutralise spreadsheet formula injection: a leading = + - @ (or tab/CR) makes the text start with '. */
export function safeText(s: string | null | undefined): string | null {
  if (s == null) return null;
  return /^[=+\-@\t\r]/.test(s) ? "'" + s : s;
}

const PAGE = 2000;

/** Items (one unit or all), in number order, with their latest progress note, a page at a time. */
async function* items(tx: Reader, campaign: string, unit?: string): AsyncGenerator<ItemRow> {
  let after = 0;
  for (;;) {
    const rows = await tx.$queryRaw<ItemRow[]>`
      SELECT i."id", i."no", i."unitName", i."category", i."title", i."measures", i."assigneeId", i."reporterId", i."anonymous",
              i."deadline", i."status", i."closedAt",
              (SELECT e."detail" FROM "Event" e WHERE e."itemId" = i."id" AND e."kind" IN ('进展', '整改', '退回') ORDER BY e."id" DESC LIMIT 1) AS "progress",
              CASE WHEN i."longTerm" THEN (SELECT ${raw(groupConcat(tx, `m."seq" || ':' || m."deadline" || ':' || m."done"`, ","))} FROM "Milestone" m WHERE m."itemId" = i."id") END AS "milestones",
              CASE WHEN i."longTerm" THEN (SELECT ${raw(groupConcat(tx, `e."detail" || '@' || ${timeText(tx, `e."at"`)}`, "\u0001"))} FROM "Event" e WHERE e."itemId" = i."id" AND e."kind" = '节点') END AS "milestonesDone"
       FROM "Item" i WHERE i."campaign" = ${campaign} ${unit ? sql`AND i."unitName" = ${unit}` : empty} AND i."no" > ${after} ORDER BY i."no" LIMIT ${int(PAGE)}`;
    for (const r of rows) yield { ...r, id: Number(r.id), no: Number(r.no) };
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1].no);
  }
}

/** Excel shows dates as given; a date-only value is that calendar day at 00:00 UTC. */
const excelDate = (ymd: string) => new Date(ymd + "T00:00:00Z");

export class LedgerRows {
  private seq = 0;
  constructor(
    private readonly cfg: Config,
    private readonly org: Org,
    private readonly cal: Calendar,
    private readonly today: Ymd,
    /** "unit": an anonymous report's words are not shown (匿名反映问题), as SPEC §1 says for its unit */
    private readonly audience: LedgerAudience = "office",
  ) {}

  reset(): void {
    this.seq = 0;
  }

  private soonUntil?: Ymd;

  status(r: ItemRow): string {
    if (r.status === "已销号") return "已销号";
    if (r.deadline && r.deadline < this.today) return `逾期${this.cal.workdaysBetween(r.deadline, this.today)}个工作日·红`;
    this.soonUntil ??= this.cal.addWorkdays(this.today, this.cfg.status.yellowDueWithinWorkdays);
    const soon = r.deadline && r.deadline <= this.soonUntil;
    return `${r.status}·${soon ? "黄" : "绿"}`;
  }

  /** 长期整改's milestones for the 整改进展 cell: `节点 1/3 已完成：1. 4月30日✓（4月28日完成）；2. 6月30日；3. 9月30日` */
  milestones(r: ItemRow): string | null {
    if (!r.milestones) return null;
    const ms = r.milestones
      .split(",")
      .map((x) => x.split(":"))
      .map(([seq, deadline, done]) => ({ seq: Number(seq), deadline, done: done === "1" || done === "true" }))
      .sort((a, b) => a.seq - b.seq);
    const doneOn = new Map<number, string>();
    for (const x of r.milestonesDone?.split("\u0001") ?? []) {
      const at = x.lastIndexOf("@");
      const seq = /^第 (\d+) 个节点/.exec(x.slice(0, at));
      const when = new Date(/^\d+$/.test(x.slice(at + 1)) ? Number(x.slice(at + 1)) : x.slice(at + 1));
      if (seq && !Number.isNaN(when.getTime())) doneOn.set(Number(seq[1]), this.cal.today(when));
    }
    const d = (ymd: string) => fmtDate(ymd, this.today);
    const list = ms.map((m) => `${m.seq}. ${d(m.deadline)}${m.done ? `✓${doneOn.has(m.seq) ? `（${d(doneOn.get(m.seq)!)}完成）` : ""}` : ""}`);
    return `节点 ${ms.filter((m) => m.done).length}/${ms.length} 已完成：${list.join("；")}`;
  }

  row(r: ItemRow): Cell[] {
    const local = (iso: string) => {
      const l = this.cal.local(new Date(iso));
      return new Date(Date.UTC(+l.ymd.slice(0, 4), +l.ymd.slice(5, 7) - 1, +l.ymd.slice(8, 10), l.hh, l.mm));
    };
    const anonymous = r.anonymous === 1 || r.anonymous === true;
    return [
      ++this.seq,
      `#${r.no}`,
      r.unitName ?? "未交办",
      r.category ? (this.cfg.campaign.categories.find((c) => c.code === r.category)?.code ?? r.category) : null,
      anonymous && this.audience !== "office" ? ANONYMOUS_TITLE : safeText(r.title),
      safeText(r.measures),
      r.unitName ? this.org.name(this.org.units.get(r.unitName)?.leader) || null : null,
      r.assigneeId ? this.org.name(r.assigneeId) : null,
      r.deadline ? excelDate(r.deadline) : null,
      safeText([this.milestones(r), r.progress].filter(Boolean).join("\n") || null),
      this.status(r),
      r.closedAt ? local(r.closedAt) : null,
      anonymous ? "匿名" : r.reporterId ? this.org.name(r.reporterId) : "—",
    ];
  }
}

/** A valid, unique sheet name: ≤ 31 characters, none of : \ / ? * [ ]. */
function sheetName(name: string, used: Set<string>): string {
  const base = [...xmlSafe(name).replace(/[:\\/?*[\]]/g, "_").replace(/^'|'$/g, "_")].slice(0, 28).join("") || "单位";
  let n = base;
  for (let i = 2; used.has(n); i++) n = `${base.slice(0, 26)}(${i})`;
  used.add(n);
  return n;
}

const HEADER_STYLE: Partial<ExcelJS.Style> = {
  font: { bold: true },
  fill: { type: "pattern", pattern: "solid", fgColor: { argb: "FFDCE6F1" } },
  alignment: { vertical: "middle", horizontal: "center", wrapText: true },
  border: { bottom: { style: "thin" } },
};

export interface LedgerResult {
  file: string;
  rows: number;
}

interface SheetSink {
  add(row: Cell[]): void;
  end(): void;
}

interface BookSink {
  sheet(name: string, cols: readonly { header: string; width: number; numFmt?: string }[]): SheetSink;
  /** wait until what was written has mostly left memory for the file */
  drain(): Promise<void>;
  finish(): Promise<void>;
}

/** One turn of the event loop (I/O callbacks run before immediates): the zip and the file get a go. */
const tick = () => new Promise<void>((r) => setImmediate(r));

function xlsxSink(file: string, cfg: Config, now: Date): BookSink {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: false });
  wb.creator = xmlSafe(`${cfg.office.name}（督办助手）`);
  wb.created = now;
  wb.modified = now;
  const used = new Set<string>();
  const pageSetup: Partial<ExcelJS.PageSetup> = { paperSize: 9, orientation: "landscape", fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: "1:1" };
  let current: ExcelJS.Worksheet | null = null;
  // exceljs's streaming writer has no backpressure: finished sheets wait, whole, in memory until the zip
  // gets to them, and the current one piles up in 64 KB buffers. We pause while the zip is behind
  // (archiver's public "entry" event counts the sheets it has taken; the buffer count is exceljs 4's).
  let sheetsAdded = 0;
  let sheetsZipped = 0;
  (wb as unknown as { zip: NodeJS.EventEmitter }).zip.on("entry", (e: { name?: string }) => {
    if (e.name?.startsWith("xl/worksheets/sheet")) sheetsZipped++;
  });
  const buffered = () => (current as unknown as { stream?: { buffers?: unknown[] } })?.stream?.buffers?.length ?? 0;
  return {
    async drain() {
      // the database driver is synchronous: without a macrotask here the zip would never get a turn
      await tick();
      for (let i = 0; i < 100_000 && (sheetsAdded - sheetsZipped > 1 || buffered() > 16); i++) await tick();
    },
    sheet(name, cols) {
      const ws = wb.addWorksheet(sheetName(name, used), { views: [{ state: "frozen", ySplit: 1 }], pageSetup });
      current = ws;
      sheetsAdded++;
      ws.columns = cols.map((c, i) => ({ key: `c${i}`, width: c.width }));
      const head = ws.addRow(cols.map((c) => c.header));
      head.height = 22;
      head.eachCell((cell) => (cell.style = HEADER_STYLE));
      head.commit();
      // one style object per column, shared by every cell: exceljs caches a style by object identity,
      // so 200k rows cost one style lookup per column instead of one per cell
      const styles = cols.map((c) => (c.numFmt ? { numFmt: c.numFmt } : {}));
      return { add: rowWriter(ws, styles), end: () => ws.commit() };
    },
    finish: () => wb.commit(),
  };
}

/** The same rows as plain CSV (UTF-8 with BOM, one block per sheet): the baseline bench/ledger compares with. */
function csvSink(file: string): BookSink {
  const out = createWriteStream(file);
  out.write("\ufeff");
  const cell = (v: Cell) => {
    if (v == null) return "";
    const s = v instanceof Date ? v.toISOString().slice(0, 16).replace("T", " ") : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return {
    async drain() {
      if (out.writableNeedDrain) await new Promise<void>((r) => out.once("drain", () => r()));
    },
    sheet(name, cols) {
      out.write(`# ${name}\n${cols.map((c) => c.header).join(",")}\n`);
      return { add: (row) => void out.write(row.map(cell).join(",") + "\n"), end: () => {} };
    },
    finish: () => new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res()))),
  };
}

/** Who the ledger is for: see writeLedger. */
export type LedgerAudience = "office" | "unit";

/**
 * Write the ledger to `file`.
 * - `audience: "office"`: the full ledger, every unit (or `unit` only): for 督办员 and 领导, privately, or
 *   a group configured `circular: full`.
 * - `audience: "unit"` (needs `unit`): that unit's own ledger for its group or its 负责人 — no other unit's
 *   rows or figures, and an anonymous item's description shown as 匿名反映问题.
 * `tx` is any reader: a transaction, or a snapshot of the read-only connection (src/db/client.ts
 * `snapshot`), so a long export holds no write lock. Everything is read from that one snapshot.
 */
export async function writeLedger(
  tx: Reader,
  cfg: Config,
  org: Org,
  cal: Calendar,
  o: { file: string; now: Date; unit?: string; audience: LedgerAudience; format?: "xlsx" | "csv" },
): Promise<LedgerResult> {
  if (o.audience === "unit" && !o.unit) throw new Error("writeLedger: a unit's ledger needs its unit");
  mkdirSync(path.dirname(o.file), { recursive: true });
  const today = cal.today(o.now);
  const book = o.format === "csv" ? csvSink(o.file) : xlsxSink(o.file, cfg, o.now);

  // 1. 汇总: the unit ranking
  const figures = rank(await unitFigures(tx, cfg, cal, today)).filter((f) => !o.unit || f.unit === o.unit);
  const sum = book.sheet("汇总", [
    { header: "排名", width: 7 },
    { header: "单位", width: 16 },
    { header: "状态", width: 8 },
    { header: "问题数", width: 9 },
    { header: "已销号", width: 9 },
    { header: "未销号", width: 9 },
    { header: "逾期", width: 8 },
    { header: "完成率", width: 9 },
  ]);
  figures.forEach((f, i) => sum.add([i + 1, f.unit, f.light, f.total, f.closed, f.open, f.overdue, f.total ? pct(f.completion) : "—"]));
  sum.add([]);
  sum.add([`${o.unit && o.audience === "unit" ? o.unit : cfg.org}${cfg.campaign.name}问题整改台账，截至${today}，由督办助手根据办理记录生成`]);
  sum.end();

  // 2. 问题清单: every item
  const rows = new LedgerRows(cfg, org, cal, today, o.audience ?? "office");
  const list = book.sheet("问题清单", LEDGER_COLUMNS);
  let count = 0;
  for await (const r of items(tx, cfg.campaign.name, o.unit)) {
    list.add(rows.row(r));
    if (++count % 500 === 0) await book.drain();
  }
  list.end();

  // 3. one sheet per unit (with items), in the config's order
  let written = 0;
  for (const unit of o.unit ? [o.unit] : cfg.units.map((u) => u.name)) {
    let ws: SheetSink | null = null;
    rows.reset();
    for await (const r of items(tx, cfg.campaign.name, unit)) {
      ws ??= book.sheet(unit, LEDGER_COLUMNS);
      ws.add(rows.row(r));
      if (++written % 500 === 0) await book.drain();
    }
    ws?.end();
  }
  await book.finish();
  return { file: o.file, rows: count };
}

export { exportName } from "./names.ts";
