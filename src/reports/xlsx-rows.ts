// Rows for exceljs' streaming worksheet, written straight as XML.
//
// exceljs builds a Row, a Cell per value, a model per cell and an XmlStream per row before it writes
// `<row>…</row>`; for the 200,000 rows of a township's ledger that machinery costs more than everything
// else in the export together (bench/ledger). The rows written here are the same bytes exceljs writes for
// the same values and styles — test/reports.test.ts compares the two sheet by sheet — using exceljs' own
// style registry (style ids), its XML escaping and its date conversion. The workbook, the sheets, the
// header row, columns, views, page setup and the zip stay exceljs'. Rows are arrays from column A (exceljs
// would read an array with a hole at [0] as 1-based); values are strings, numbers, Dates or null.
import { createRequire } from "node:module";
import type ExcelJS from "exceljs";

const require = createRequire(import.meta.url);
const { xmlEncode, dateToExcel } = require("exceljs/lib/utils/utils.js") as {
  xmlEncode(s: string): string;
  dateToExcel(d: Date, date1904?: boolean): number;
};
// exceljs' ValueType numbers (Enums.ValueType): Null 0, Number 2, String 3, Date 4
const enum T {
  Null = 0,
  Number = 2,
  String = 3,
  Date = 4,
}

export type RowValue = string | number | Date | null | undefined;

/**
 * Characters XML 1.0 forbids: C0 controls other than tab, newline and CR, U+FFFE, U+FFFF, and surrogates
 * that are not part of a pair. One of them in one cell makes the whole file one Excel and WPS refuse.
 */
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text safe for an XML file: controls dropped, the other forbidden characters replaced by U+FFFD (�). */
export function xmlSafe(s: string): string {
  XML_FORBIDDEN.lastIndex = 0;
  if (!XML_FORBIDDEN.test(s)) return s;
  return s.replace(XML_FORBIDDEN, (c) => (c < " " ? "" : "\ufffd"));
}

interface Styles {
  addStyleModel(model: object, cellType?: number): number;
}
/** The parts of exceljs 4's WorksheetWriter this writer shares (pinned by package-lock; the test fails if they change). */
interface SheetInternals {
  _workbook: { styles: Styles };
  _rowZero: number;
  _rows: unknown[];
  startedData: boolean;
  _writeColumns(): void;
  _writeOpenSheetData(): void;
  stream: { write(s: string): void };
}

const EMPTY_STYLE = {};

function columnName(i: number): string {
  let s = "";
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * A row writer for `ws`, after its header rows were committed the exceljs way. `styles[i]` is the style
 * of column i: one object per column, as exceljs caches style ids by object identity.
 */
export function rowWriter(worksheet: ExcelJS.Worksheet, styles: readonly object[]): (values: readonly RowValue[]) => void {
  const ws = worksheet as unknown as SheetInternals;
  if (typeof ws._rowZero !== "number" || !Array.isArray(ws._rows) || typeof ws._writeOpenSheetData !== "function") {
    throw new Error("exceljs WorksheetWriter internals changed: rowWriter needs updating");
  }
  const registry = ws._workbook.styles;
  const letters = styles.map((_, i) => columnName(i));
  const ids: (number | undefined)[] = [];
  // a Row's own style is a fresh {} (exceljs registers it per row; the id is the same every time)
  const rowStyle = registry.addStyleModel({});
  const rowAttrs = rowStyle ? ` s="${rowStyle}" customFormat="1"` : "";
  return (values) => {
    if (ws._rows.length) throw new Error("rowWriter: uncommitted exceljs rows before a written row");
    if (!ws.startedData) {
      ws._writeColumns();
      ws._writeOpenSheetData();
      ws.startedData = true;
    }
    const r = ws._rowZero++;
    let cells = "";
    let min = 0;
    let max = 0;
    let hasValues = false;
    let end = values.length;
    while (end > 0 && values[end - 1] === undefined) end--;
    for (let i = 0; i < end; i++) {
      // a hole inside the row is an empty cell with the column's style, as exceljs' includeEmpty makes it
      const v = values[i] ?? null;
      const type = v === null ? T.Null : typeof v === "number" ? T.Number : typeof v === "string" ? T.String : T.Date;
      // exceljs registers a column's style with the type of the first cell it meets, then finds it by identity
      const id = (ids[i] ??= registry.addStyleModel(styles[i] ?? EMPTY_STYLE, type));
      if (type !== T.Null) hasValues = true;
      if (!min) min = i + 1;
      max = i + 1;
      const s = id ? ` s="${id}"` : "";
      const ref = letters[i] ?? columnName(i);
      if (type === T.Null) {
        if (id) cells += `<c r="${ref}${r}"${s}/>`;
      } else if (type === T.Number) {
        cells += `<c r="${ref}${r}"${s}><v>${xmlEncode(String(v))}</v></c>`;
      } else if (type === T.String) {
        cells += `<c r="${ref}${r}"${s} t="str"><v>${xmlEncode(xmlSafe(v as string))}</v></c>`;
      } else {
        if (!(v instanceof Date)) throw new TypeError("rowWriter: string, number, Date or null only");
        cells += `<c r="${ref}${r}"${s}><v>${dateToExcel(v)}</v></c>`;
      }
    }
    if (!hasValues) return; // exceljs writes no row without a value (its number is used all the same)
    ws.stream.write(`<row r="${r}" spans="${min}:${max}"${rowAttrs} x14ac:dyDescent="0.25">${cells}</row>`);
  };
}
