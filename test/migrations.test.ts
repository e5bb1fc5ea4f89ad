import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/client.ts";
import { applyMigrations, diffSchemaAgainstMigrations, readMigrations } from "../src/db/engine.ts";

describe("migrations (offline, Prisma's own format)", () => {
  it("schema.prisma and prisma/migrations agree (run `npm run db:migrate -- <name>` when this fails)", async () => {
    const missing = await diffSchemaAgainstMigrations();
    expect(missing, `schema.prisma is ahead of the migrations:\n${missing}`).toBe("");
  });

  it("start-up applies pending migrations once, recorded in _prisma_migrations", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "duban-mig-")), "sub/dir/duban.db");
    const first = await openDatabase("file:" + file);
    expect(first.applied).toEqual(readMigrations().migrationDirectories.map((d) => d.path));
    await first.db.$disconnect();
    expect(await applyMigrations(file)).toEqual([]);
    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare("SELECT migration_name, finished_at FROM _prisma_migrations").all() as { finished_at: unknown }[];
    expect(rows.length).toBe(first.applied.length);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    expect((raw.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    raw.close();
  });
});
