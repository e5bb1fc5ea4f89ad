// SPEC §6 on PostgreSQL (issue 13): `npm run replay` with DATABASE_URL naming an empty PostgreSQL database
// gives the same transcript, byte for byte, as on SQLite — and the same files (charts byte for byte, the
// ledgers cell for cell: an .xlsx's zip stamps the time it was written) — for every scenario; on a
// database that holds data it refuses to run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { EXAMPLE_CONFIG, ROOT } from "./helpers.ts";
import { createTestDatabase, pgAvailable, PG_SKIP_REASON } from "./pg.ts";

const available = await pgAvailable();
if (!available) console.warn(`[replay-pg] skipped: ${PG_SKIP_REASON}`);

const replay = (script: string, out: string, databaseUrl?: string) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/replay/cli.ts"), EXAMPLE_CONFIG, script, "--out", out], {
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, DATABASE_URL: databaseUrl ?? "" },
  });

async function cells(file: string): Promise<string> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(file);
  const all: unknown[] = [];
  book.eachSheet((sheet) => {
    all.push(sheet.name);
    sheet.eachRow({ includeEmpty: true }, (row, n) => all.push([n, row.values, row.height]));
  });
  return JSON.stringify(all);
}

const STOP_START = [
  { at: "2026-03-02T09:00:00+08:00", room: "东村工作群", from: "zhangsan", text: "/上报 公开栏未更新", id: "m1" },
  { at: "2026-03-02T10:00:00+08:00", stop: true },
  { at: "2026-03-02T10:30:00+08:00", room: "东村工作群", from: "lisi", text: "/认领 #1", id: "m2" },
  { at: "2026-03-02T11:00:00+08:00", start: true },
  { at: "2026-03-02T11:05:00+08:00", room: "东村工作群", from: "zhangsan", text: "/上报 公开栏未更新", id: "m1" },
  { at: "2026-03-04T09:30:00+08:00", from: "ban1", text: "/逾期" },
];

describe.skipIf(!available)("npm run replay on PostgreSQL", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "duban-replay-pg-"));
  const stopStart = path.join(dir, "stop-start.jsonl");
  writeFileSync(stopStart, STOP_START.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const scenarios = { demo: path.join(ROOT, "examples/demo.jsonl"), "stop-start": stopStart };

  for (const [name, script] of Object.entries(scenarios))
    it(`${name}: the same transcript and files as on SQLite`, async () => {
      const pg = await createTestDatabase();
      try {
        const [a, b] = [path.join(dir, `${name}-sqlite`), path.join(dir, `${name}-pg`)];
        const onSqlite = replay(script, a);
        const onPg = replay(script, b, pg.url);
        expect(onSqlite.status, onSqlite.stderr).toBe(0);
        expect(onPg.status, onPg.stderr).toBe(0);
        expect(onPg.stdout.length).toBeGreaterThan(0);
        expect(onPg.stdout).toBe(onSqlite.stdout);
        if (name === "demo") expect(onPg.stdout).toBe(readFileSync(path.join(ROOT, "examples/demo.expected.jsonl"), "utf8"));
        const files = readdirSync(a).sort();
        expect(readdirSync(b).sort()).toEqual(files);
        for (const f of files) {
          if (f.endsWith(".xlsx")) expect(await cells(path.join(b, f)), f).toBe(await cells(path.join(a, f)));
          else expect(readFileSync(path.join(b, f)).equals(readFileSync(path.join(a, f))), f).toBe(true);
        }
        // the same database again: it holds a campaign now, and the replay refuses to start from it
        const again = replay(script, path.join(dir, `${name}-again`), pg.url);
        expect(again.status).toBe(2);
        expect(again.stderr).toMatch(/已有数据.*回放只在空数据库上运行/);
      } finally {
        await pg.drop();
      }
    }, 300_000);
});
