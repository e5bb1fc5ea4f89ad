import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/client.ts";
import { applyMigrations, diffSchemaAgainstMigrations, readMigrations } from "../src/db/engine.ts";
import { fakeChannel } from "./fake-channel.ts";
import { ROOT } from "./helpers.ts";

const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.relative(dir, path.join(d.parentPath, d.name))).sort();

describe("the generated Prisma client (committed: a production install needs no Prisma CLI)", () => {
  it("is exactly what `prisma generate` makes of schema.prisma (run `npm run db:generate` when this fails)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-gen-"));
    cpSync(path.join(ROOT, "prisma/schema.prisma"), path.join(dir, "prisma/schema.prisma"));
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/prisma/build/index.js"), "generate", "--schema", path.join(dir, "prisma/schema.prisma")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/true", CHECKPOINT_DISABLE: "1" },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const fresh = path.join(dir, "src/generated/prisma");
    const committed = path.join(ROOT, "src/generated/prisma");
    expect(filesUnder(committed)).toEqual(filesUnder(fresh));
    for (const f of filesUnder(fresh)) expect(readFileSync(path.join(committed, f), "utf8"), f).toBe(readFileSync(path.join(fresh, f), "utf8"));
  }, 150_000);
});

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

describe("the roster mirror", () => {
  it("follows the config: added, changed and removed members and units", async () => {
    const { App } = await import("../src/app.ts");
    const { systemClock } = await import("../src/core/clock.ts");
    const { silentLogger } = await import("../src/core/log.ts");
    const { example } = await import("./helpers.ts");
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-roster-"));
    const open = (cfg: ReturnType<typeof example>) =>
      App.open({
        cfg,
        databaseUrl: "file:" + path.join(dir, "d.db"),
        clock: systemClock,
        channels: [fakeChannel(async () => {})],
        log: silentLogger,
        evidenceDir: path.join(dir, "evidence"),
      });
    const cfg = example();
    let app = await open(cfg);
    expect(await app.db.member.count()).toBe(cfg.members.length);
    await app.close();
    cfg.members = cfg.members.filter((m) => m.id !== "lisi").map((m) => (m.id === "zhangsan" ? { ...m, name: "张三丰" } : m));
    cfg.members.push({ id: "newbie", name: "新人", unit: "东村", roles: ["干部"] });
    cfg.units = cfg.units.map((u) => (u.name === "东村" ? { ...u, leader: "fuzhen_zhou" } : u));
    app = await open(cfg);
    expect(await app.db.member.findUnique({ where: { id: "lisi" } })).toBeNull();
    expect((await app.db.member.findUniqueOrThrow({ where: { id: "zhangsan" } })).name).toBe("张三丰");
    expect(await app.db.member.findUnique({ where: { id: "newbie" } })).not.toBeNull();
    expect((await app.db.unit.findUniqueOrThrow({ where: { name: "东村" } })).leaderId).toBe("fuzhen_zhou");
    await app.close();
  });
});

describe("start-up on an up-to-date database", () => {
  it("the production entry does not load the schema engine when no migration is pending (it does when one is)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-noengine-"));
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHATY_|WECOM_|DUBAN_|DATABASE_URL$)/.test(k))), DATABASE_URL: "file:" + path.join(dir, "d.db"), DUBAN_EVIDENCE_DIR: path.join(dir, "ev"), DUBAN_WEB_PORT: "0" };
    const { spawn } = await import("node:child_process");
    /** npm start until it is ready; what it printed on stderr */
    const start = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--require", path.join(ROOT, "test/fixtures/trace-wasm.cjs"), "--import", "tsx", "src/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
        let err = "";
        child.stderr.on("data", (d) => (err += d));
        child.stdout.on("data", (d) => {
          if (/http:\/\/127\.0\.0\.1:\d+\//.test(String(d))) child.kill("SIGKILL");
        });
        child.on("exit", () => resolve(err));
        child.on("error", reject);
        setTimeout(() => child.kill("SIGKILL"), 60_000).unref();
      });
    expect(await start()).toContain("SCHEMA_ENGINE_LOADED"); // a new database: the migrations run
    expect(await start()).not.toContain("SCHEMA_ENGINE_LOADED");
  }, 150_000);
});
