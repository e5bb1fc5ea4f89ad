// PostgreSQL (DATABASE_URL=postgresql://…): the generated schema and client, the migrations (offline,
// Prisma's own format) and start-up. Every test has its own database (test/pg.ts); the whole file is
// skipped when PostgreSQL does not answer on DUBAN_TEST_PG_URL.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { PG_SCHEMA, SQLITE_SCHEMA, pgSchemaFrom } from "../scripts/pg-schema.ts";
import { openPostgres } from "../src/db/postgres.ts";
import {
  PG_MIGRATIONS_DIR,
  PG_SCHEMA_PATH,
  applyMigrationsPg,
  diffPgSchemaAgainstMigrations,
  migrationsUpToDatePg,
  pgConnect,
  readPgMigrations,
} from "../src/db/postgres-engine.ts";
import { isPostgresUrl, pgConfig, withDatabase } from "../src/db/pg-url.ts";
import { ROOT } from "./helpers.ts";
import { PG_SKIP_REASON, TEST_PG_URL, createTestDatabase, databasesLike, pgAvailable } from "./pg.ts";

const available = await pgAvailable();
if (!available) console.warn(`test/migrations-pg.test.ts skipped: ${PG_SKIP_REASON}`);

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();

/** Plain SQL on `url`. */
async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const c = await pgConnect(url);
  try {
    return (await c.query<R>(sql)).rows;
  } finally {
    await c.end();
  }
}

const dbs: { drop(): Promise<void> }[] = [];
/** A fresh database for this test, dropped after it. */
async function freshDatabase() {
  const d = await createTestDatabase();
  dbs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.drop();
});

/** `npm run db:deploy` on `url` (traced: stderr says SCHEMA_ENGINE_LOADED when the engine's wasm is read). */
function deploy(url: string) {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DUBAN_|DATABASE_URL$)/.test(k))), DATABASE_URL: url };
  const t = performance.now();
  const r = spawnSync(process.execPath, ["--require", path.join(ROOT, "test/fixtures/trace-wasm.cjs"), "--import", "tsx", "src/db/deploy.ts"], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  return { ...r, ms: Math.round(performance.now() - t) };
}

describe.skipIf(!available)(`PostgreSQL${available ? "" : ` — skipped: ${PG_SKIP_REASON}`}`, () => {
  it("isPostgresUrl tells postgres:// and postgresql:// from file:", () => {
    expect(isPostgresUrl("postgresql://u@h/d")).toBe(true);
    expect(isPostgresUrl("postgres://u:p@h:5433/d?sslmode=disable")).toBe(true);
    expect(isPostgresUrl("file:./data/duban.db")).toBe(false);
    // the configuration names the database itself (a shadow database derived from it is really another one)
    expect(pgConfig("postgresql://u:p%40ss@h:5433/d").database).toBe("d");
    expect(pgConfig("postgresql://u:p%40ss@h:5433/d")).not.toHaveProperty("connectionString");
    expect(pgConfig("postgresql://u:p%40ss@h:5433/d").password).toBe("p@ss");
    expect(() => pgConfig("postgresql://u@h/d?schema=other")).toThrow(/schema/);
  });

  it("prisma/postgresql/schema.prisma is what scripts/pg-schema.ts makes of schema.prisma (run `npm run db:generate` when this fails)", () => {
    const pgSchema = readFileSync(PG_SCHEMA, "utf8");
    expect(pgSchema).toBe(pgSchemaFrom(readFileSync(SQLITE_SCHEMA, "utf8")));
    expect(pgSchema).toMatch(/^\/\/ GENERATED .*do not edit/);
    expect(pgSchema).toMatch(/provider = "postgresql"/);
    expect(pgSchema).toMatch(/output\s+= "\.\.\/\.\.\/src\/generated\/prisma-pg"/);
  });

  it("the committed PostgreSQL client is exactly what `prisma generate` makes of it (run `npm run db:generate` when this fails)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-gen-pg-"));
    cpSync(PG_SCHEMA_PATH, path.join(dir, "prisma/postgresql/schema.prisma"));
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/prisma/build/index.js"), "generate", "--schema", path.join(dir, "prisma/postgresql/schema.prisma")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/true", CHECKPOINT_DISABLE: "1" },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const fresh = path.join(dir, "src/generated/prisma-pg");
    const committed = path.join(ROOT, "src/generated/prisma-pg");
    expect(filesUnder(committed)).toEqual(filesUnder(fresh));
    for (const f of filesUnder(fresh)) expect(readFileSync(path.join(committed, f), "utf8"), f).toBe(readFileSync(path.join(fresh, f), "utf8"));
  }, 150_000);

  it("the PostgreSQL migrations are Prisma's own format, for postgresql, without CREATE SCHEMA", () => {
    expect(readFileSync(path.join(PG_MIGRATIONS_DIR, "migration_lock.toml"), "utf8")).toMatch(/^provider = "postgresql"$/m);
    const list = readPgMigrations();
    expect(list.migrationDirectories.length).toBeGreaterThan(0);
    for (const d of list.migrationDirectories) {
      expect(d.path).toMatch(/^\d{14}_[A-Za-z0-9_]+$/);
      expect(d.migrationFile.content.value).not.toMatch(/CREATE SCHEMA/i);
    }
  });

  it("schema.prisma and prisma/postgresql/migrations agree (run `npm run db:migrate -- <name>` when this fails); the shadow database is dropped", async () => {
    const before = await databasesLike("duban_shadow_");
    const missing = await diffPgSchemaAgainstMigrations({ serverUrl: TEST_PG_URL });
    expect(missing, `prisma/postgresql/schema.prisma is ahead of its migrations:\n${missing}`).toBe("");
    expect(await databasesLike("duban_shadow_")).toEqual(before);
  });

  it("the drift check sees a field the migrations lack", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-drift-pg-"));
    const schema = readFileSync(PG_SCHEMA_PATH, "utf8").replace(/^model Unit \{$/m, "model Unit {\n  driftProbe String?");
    writeFileSync(path.join(dir, "schema.prisma"), schema);
    expect(schema).toContain("driftProbe");
    const missing = await diffPgSchemaAgainstMigrations({ serverUrl: TEST_PG_URL, schema: readFileSync(path.join(dir, "schema.prisma"), "utf8") });
    expect(missing).toMatch(/ALTER TABLE "Unit" ADD COLUMN\s+"driftProbe" TEXT/);
  });

  it("start-up applies pending migrations once, recorded in _prisma_migrations; then db writes and read reads snapshots", async () => {
    const { url } = await freshDatabase();
    expect(await migrationsUpToDatePg(url)).toBe(false);
    const first = await openPostgres(url);
    try {
      expect(first.applied).toEqual(readPgMigrations().migrationDirectories.map((d) => d.path));
      expect(await migrationsUpToDatePg(url)).toBe(true);
      expect(await applyMigrationsPg(url)).toEqual([]);
      const rows = await query<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }>(url, "SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations");
      expect(rows.map((r) => r.migration_name).sort()).toEqual(first.applied);
      expect(rows.every((r) => r.finished_at !== null && r.rolled_back_at === null)).toBe(true);

      const at = new Date("2026-03-02T01:02:03.456Z");
      await first.db.room.create({ data: { id: "r1", topic: "东村工作群", updatedAt: at } });
      expect((await first.read.room.findUniqueOrThrow({ where: { id: "r1" } })).updatedAt.toISOString()).toBe(at.toISOString());
      // the read pool: snapshot transactions, read-only
      const iso = await first.read.$transaction(async (tx) => {
        const [r] = await tx.$queryRaw<{ transaction_isolation: string }[]>`SHOW transaction_isolation`;
        return r.transaction_isolation;
      });
      expect(iso).toBe("repeatable read");
      await expect(first.read.room.create({ data: { id: "r2", topic: "x", updatedAt: at } })).rejects.toThrow();
      const [w] = await first.db.$queryRaw<{ transaction_isolation: string }[]>`SHOW transaction_isolation`;
      expect(w.transaction_isolation).toBe("read committed");
    } finally {
      await first.db.$disconnect();
      await first.read.$disconnect();
    }
  });

  it("npm run db:deploy applies pending migrations (loading the engine) and, on an up-to-date database, applies nothing without starting the engine", async () => {
    const { url } = await freshDatabase();
    const first = deploy(url);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain("已应用迁移：" + readPgMigrations().migrationDirectories.map((d) => d.path).join("、"));
    expect(first.stderr).toContain("SCHEMA_ENGINE_LOADED");
    const second = deploy(url);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain("数据库已是最新，无待应用的迁移。");
    expect(second.stderr).not.toContain("SCHEMA_ENGINE_LOADED");
    console.log(`db:deploy on PostgreSQL (whole process): fresh ${first.ms} ms, up to date ${second.ms} ms`);
  }, 120_000);

  it("npm run db:deploy says, in Chinese, when the database cannot be reached, and exits 1", () => {
    const r = deploy(withDatabase(TEST_PG_URL, `duban_missing_${Date.now()}`));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/无法连接数据库 postgresql:\/\/.*duban_missing_/);
    expect(r.stderr).not.toContain("SCHEMA_ENGINE_LOADED");
  }, 60_000);

  it("npm run doctor on PostgreSQL: pending migrations named, then up to date; an unreachable database is a ✗ naming DATABASE_URL", async () => {
    const { url } = await freshDatabase();
    const doctor = (u: string) => spawnSync(process.execPath, ["--import", "tsx", "src/doctor.ts"], { cwd: ROOT, env: { ...process.env, DATABASE_URL: u, DUBAN_CONFIG: "examples/duban.example.yaml" }, encoding: "utf8", timeout: 60_000 });
    expect(doctor(url).stdout).toMatch(/· 数据库：PostgreSQL .*有未应用的迁移：npm run db:deploy/);
    expect(deploy(url).status).toBe(0);
    const ok = doctor(url);
    expect(ok.stdout).toMatch(/✓ 数据库：PostgreSQL .*表结构是最新的/);
    const gone = doctor(withDatabase(TEST_PG_URL, `duban_missing_${Date.now()}`));
    expect(gone.status).toBe(1);
    expect(gone.stdout).toMatch(/✗ 数据库：PostgreSQL .*检查 DATABASE_URL/);
  }, 120_000);

  it("a migration is sent whole: a semicolon inside a string or a comment does not split it, and a failing one applies nothing", async () => {
    const { url } = await freshDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-mig-pg-"));
    cpSync(PG_MIGRATIONS_DIR, dir, { recursive: true });
    mkdirSync(path.join(dir, "20990101000000_semicolons"));
    writeFileSync(path.join(dir, "20990101000000_semicolons/migration.sql"), `-- a comment; with a semicolon\nCOMMENT ON TABLE "Unit" IS 'village; or department';\n`);
    expect(await applyMigrationsPg(url, readPgMigrations(dir))).toEqual([...readPgMigrations().migrationDirectories.map((d) => d.path), "20990101000000_semicolons"]);
    expect(await query<{ c: string }>(url, `SELECT obj_description('"Unit"'::regclass, 'pg_class') AS c`)).toEqual([{ c: "village; or department" }]);

    mkdirSync(path.join(dir, "20990102000000_fails"));
    writeFileSync(path.join(dir, "20990102000000_fails/migration.sql"), `CREATE TABLE "Half" ("id" INTEGER);\nSELECT * FROM "NoSuchTable";\n`);
    await expect(applyMigrationsPg(url, readPgMigrations(dir))).rejects.toThrow(/NoSuchTable/);
    expect(await query(url, `SELECT to_regclass('"Half"') AS t`)).toEqual([{ t: null }]);
    const [failed] = await query<{ finished_at: Date | null }>(url, `SELECT finished_at FROM _prisma_migrations WHERE migration_name = '20990102000000_fails'`);
    expect(failed.finished_at).toBeNull();
  });
});
