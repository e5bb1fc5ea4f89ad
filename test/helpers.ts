import path from "node:path";
import { loadConfig } from "../src/config/load.ts";
import type { Config } from "../src/config/schema.ts";
import type { Tx } from "../src/db/client.ts";
import type { Logger } from "../src/core/log.ts";
import { Simulation } from "../src/replay/harness.ts";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const EXAMPLE_CONFIG = path.join(ROOT, "examples/duban.example.yaml");
export const EVIDENCE_PNG = path.join(ROOT, "examples/evidence.png");
export const example = (): Config => loadConfig(EXAMPLE_CONFIG);

export interface Out {
  at: string;
  room?: string;
  to?: string;
  text?: string;
  file?: string;
  mentions?: string[];
}

/**
 * Which database the suite's bots run on: a temp SQLite file, or with DUBAN_TEST_DB=postgresql a fresh
 * PostgreSQL database each (on DUBAN_TEST_PG_URL's server, dropped at close) — `.ci/run` runs the suite
 * both ways. A test about the SQLite file itself (its bytes, a second process on it) asks for "sqlite".
 */
export const TEST_DB: "sqlite" | "postgresql" = process.env.DUBAN_TEST_DB === "postgresql" ? "postgresql" : "sqlite";

/** A bot on the mock puppet with a fresh database (see TEST_DB), a virtual clock, and everything it sent. */
export async function bot(o: { cfg?: Config; start?: string; beforeCommit?: (tx: Tx) => Promise<void>; log?: Logger; databaseFile?: string; store?: "sqlite" | "postgresql" } = {}) {
  const out: Out[] = [];
  const usePg = o.store === "postgresql" || (TEST_DB === "postgresql" && !o.store && !o.databaseFile);
  const pg = usePg ? await (await import("./pg.ts")).createTestDatabase() : undefined;
  const sim = await new Simulation({
    cfg: o.cfg ?? example(),
    start: new Date(o.start ?? "2026-03-02T09:00:00+08:00"),
    write: (l) => out.push(JSON.parse(l)),
    beforeCommit: o.beforeCommit,
    log: o.log,
    databaseFile: o.databaseFile,
    databaseUrl: pg?.url,
  })
    .open()
    .catch(async (e) => {
      await pg?.drop();
      throw e;
    });
  let n = 0;
  const api = {
    sim,
    out,
    get db() {
      return sim.app!.db;
    },
    /** say in a group (room) or privately (no room); returns what the bot sent in answer */
    async say(from: string, text: string, room?: string, id?: string): Promise<Out[]> {
      const before = out.length;
      await sim.say({ id: id ?? `t${++n}`, from, room, text });
      return out.slice(before);
    },
    async image(from: string, room?: string, id?: string): Promise<Out[]> {
      const before = out.length;
      await sim.say({ id: id ?? `t${++n}`, from, room, image: EVIDENCE_PNG });
      return out.slice(before);
    },
    /** the text of the one reply to `from` */
    async ask(from: string, text: string, room?: string): Promise<string> {
      const got = await api.say(from, text, room);
      const mine = got.filter((g) => (room ? g.room === room && g.mentions?.includes(from) : g.to === from));
      if (mine.length !== 1) throw new Error(`expected one reply to ${from}, got ${JSON.stringify(got)}`);
      return mine[0].text!;
    },
    async at(iso: string) {
      await sim.advanceTo(new Date(iso));
    },
    /** the database's URL (a file: or a postgresql: one) */
    url: pg?.url ?? "file:" + sim.databaseFile,
    close: async () => {
      await sim.close();
      await pg?.drop();
    },
  };
  return api;
}

/**
 * The wall clock's pace from a workday morning (Tue 2026-03-03 10:00 北京时间): a test that runs at
 * night on the machine must not meet quiet hours it is not about.
 */
export function daytimeClock(start = "2026-03-03T10:00:00+08:00"): { now(): Date } {
  const t0 = Date.now();
  const base = new Date(start).getTime();
  return { now: () => new Date(base + (Date.now() - t0)) };
}
