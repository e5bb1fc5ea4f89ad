// The Prisma schema engine, run offline from its wasm build and driven by our own driver adapter.
// The Prisma CLI would download a native engine at first use; government hosts and this project's
// machines cannot. See ../shared/notes/prisma-offline.md for the four work-arounds applied here.
// This module runs it on SQLite (prisma/migrations); src/db/postgres-engine.ts runs the same engine on
// PostgreSQL (prisma/postgresql/migrations) through loadWasm, runEngine, readMigrations and allApplied.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import Database from "better-sqlite3";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as glue from "@prisma/schema-engine-wasm/schema_engine_bg";

import { PRISMA_DIR } from "../paths.ts";

const require = createRequire(import.meta.url);
export { PRISMA_DIR };
export const MIGRATIONS_DIR = path.join(PRISMA_DIR, "migrations");
export const SCHEMA_PATH = path.join(PRISMA_DIR, "schema.prisma");

let loaded: Promise<void> | undefined;
/** Load and instantiate the engine's wasm once per process (only when an engine is actually needed). */
export function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    (globalThis as any).PRISMA_WASM_PANIC_REGISTRY = {
      set_message(m: string) {
        (globalThis as any).__duban_last_panic = m;
      },
    };
    const wasmPath = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")), "schema_engine_bg.wasm");
    const imports: Record<string, unknown> = { ...glue };
    // Timers created by the engine must not keep Node alive after we are done.
    for (const name of Object.keys(imports)) {
      if (name.startsWith("__wbg_setTimeout")) {
        const orig = imports[name] as (...a: unknown[]) => any;
        imports[name] = (...a: unknown[]) => {
          const t = orig(...a);
          t?.unref?.();
          return t;
        };
      }
    }
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), { "./schema_engine_bg.js": imports as any });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as any).__wbindgen_start?.();
  })();
  return loaded;
}

/** better-sqlite3 refuses multi-statement strings in executeRaw; the engine sends whole scripts. */
function scriptTolerantFactory(factory: PrismaBetterSqlite3, opened: { dispose(): Promise<void> }[]) {
  const wrapAdapter = (adapter: any) => {
    opened.push(adapter);
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.executeRaw = async (q: { sql: string; args: unknown[] }) => {
      try {
        return await executeRaw(q);
      } catch (e) {
        if ((!q.args || q.args.length === 0) && /more than one statement/.test(String((e as Error)?.message ?? e))) {
          await adapter.executeScript(q.sql);
          return 0;
        }
        throw e;
      }
    };
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => wrapAdapter(await factory.connect()),
    connectToShadowDb: async () => wrapAdapter(await factory.connectToShadowDb()),
  };
}

export interface MigrationsList {
  baseDir: string;
  lockfile: { path: string; content?: string };
  shadowDbInitScript: string;
  migrationDirectories: { path: string; migrationFile: { path: string; content: { tag: "ok"; value: string } } }[];
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationsList {
  const dirs = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "migration.sql")))
        .map((d) => d.name)
        .sort()
    : [];
  const lock = path.join(dir, "migration_lock.toml");
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: existsSync(lock) ? readFileSync(lock, "utf8") : undefined },
    shadowDbInitScript: "",
    migrationDirectories: dirs.map((d) => ({
      path: d,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: readFileSync(path.join(dir, d, "migration.sql"), "utf8") } },
    })),
  };
}

export const filters = { externalTables: [], externalEnums: [] };

/** sha256 of a migration script: the checksum Prisma records in `_prisma_migrations`. */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

/** True when every migration of `list` is among `applied` (name → checksum of finished, not rolled back rows). */
export function allApplied(list: MigrationsList, applied: Map<string, string>): boolean {
  return list.migrationDirectories.every((d) => applied.get(d.path) === migrationChecksum(d.migrationFile.content.value));
}

/**
 * Run `fn` with a schema engine for `schema` (the text of a schema.prisma) driven by the adapter factory
 * `factory` (connect / connectToShadowDb). `opened` collects the adapters the factory handed out: they are
 * disposed afterwards, since engine.free() does not close them.
 */
export async function runEngine<T>(schema: string, factory: object, opened: { dispose(): Promise<void> }[], fn: (engine: any) => Promise<T>): Promise<T> {
  await loadWasm();
  const engine = await glue.SchemaEngine.new({ datamodels: [["schema.prisma", schema]] }, () => {}, bindMigrationAwareSqlAdapterFactory(factory as any));
  try {
    return await fn(engine);
  } finally {
    engine.free();
    for (const a of opened) await a.dispose().catch(() => {});
  }
}

/** Run `fn` with a schema engine connected to the SQLite file at `filePath` (":memory:" for diffs). */
export async function withEngine<T>(filePath: string, fn: (engine: any) => Promise<T>): Promise<T> {
  const opened: { dispose(): Promise<void> }[] = [];
  const factory = scriptTolerantFactory(new PrismaBetterSqlite3({ url: filePath }, { shadowDatabaseUrl: ":memory:" }), opened);
  // engine.free() does not close the connections it opened: runEngine closes them, or SQLite stays locked.
  return runEngine(readFileSync(SCHEMA_PATH, "utf8"), factory, opened, fn);
}

/**
 * True when every migration is recorded as applied with its checksum. Read without the engine: the engine
 * takes `locking_mode=EXCLUSIVE`, which a second instance running on the same file would block.
 */
export function migrationsUpToDate(filePath: string, list = readMigrations()): boolean {
  if (!existsSync(filePath)) return list.migrationDirectories.length === 0;
  const db = new Database(filePath, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='_prisma_migrations'").get();
    if (!table) return list.migrationDirectories.length === 0;
    const rows = db.prepare("SELECT migration_name AS name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL").all() as { name: string; checksum: string }[];
    return allApplied(list, new Map(rows.map((r) => [r.name, r.checksum])));
  } finally {
    db.close();
  }
}

/**
 * Apply every pending migration to the database file. Returns the names applied. Applying needs the file
 * to itself (stop other instances to deploy a release with new migrations); when nothing is pending the
 * engine is not started at all.
 */
export async function applyMigrations(filePath: string): Promise<string[]> {
  const list = readMigrations();
  if (migrationsUpToDate(filePath, list)) return [];
  return withEngine(filePath, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList: list, filters });
    return out.appliedMigrationNames as string[];
  });
}

/** SQL that would bring the migrations up to schema.prisma; "" when they agree. */
export async function diffSchemaAgainstMigrations(): Promise<string> {
  return withEngine(":memory:", async (engine) => {
    const out = await engine.diff({
      from: { tag: "migrations", ...readMigrations() },
      to: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: readFileSync(SCHEMA_PATH, "utf8") }] },
      script: true,
      exitCode: true,
      shadowDatabaseUrl: null,
      filters,
    });
    return out.exitCode === 2 ? String(out.stdout ?? "") : "";
  });
}
