// SPEC §7: "A command is acknowledged only after it is committed; killing the process at any moment loses
// no acknowledged item and creates no half item." A child process works items through every command of
// their lifecycle and is SIGKILLed at arbitrary moments; after each kill the database must be whole:
// every acknowledged message committed, every item's state exactly what its timeline says, no item
// without its creation event, no evidence without its event.
// (Checked: with the command's transaction removed from the pipeline — the handler writing straight to
// the database — this test fails on the timeline check within a few rounds.)
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { claimKey } from "../src/core/pipeline.ts";
import { EVIDENCE_PNG, EXAMPLE_CONFIG, ROOT } from "./helpers.ts";

interface ItemRow {
  id: number;
  no: number;
  status: string;
  unitName: string | null;
  assigneeId: string | null;
  deadline: string | null;
}

function checkWhole(file: string, done: Set<string>): { items: number; events: number } {
  const raw = new Database(file, { readonly: true });
  try {
    const items = raw.prepare(`SELECT id, no, status, unitName, assigneeId, deadline FROM Item ORDER BY no`).all() as ItemRow[];
    const created = raw.prepare(`SELECT COUNT(*) AS n FROM Event WHERE itemId = ? AND kind IN ('上报', '匿名上报')`);
    const last = raw.prepare(`SELECT kind, toStatus, toUnit, toAssignee, toDeadline FROM Event WHERE itemId = ? ORDER BY id DESC LIMIT 1`);
    for (const it of items) {
      expect((created.get(it.id) as { n: number }).n, `#${it.no} has no (or two) creation events`).toBe(1);
      const e = last.get(it.id) as { kind: string; toStatus: string; toUnit: string | null; toAssignee: string | null; toDeadline: string | null };
      expect({ status: e.toStatus, unit: e.toUnit, assignee: e.toAssignee, deadline: e.toDeadline }, `#${it.no}: the item is not what its timeline (last: ${e.kind}) says`).toEqual({
        status: it.status,
        unit: it.unitName,
        assignee: it.assigneeId,
        deadline: it.deadline,
      });
    }
    // a photo is its evidence row and its 佐证 event, or neither
    const photos = raw.prepare(`SELECT (SELECT COUNT(*) FROM Evidence) AS rows, (SELECT COUNT(*) FROM Event WHERE kind = '佐证') AS events`).get() as { rows: number; events: number };
    expect(photos.rows).toBe(photos.events);
    // an approved extension is its request's answer and the item's deadline, or neither
    const ext = raw.prepare(`SELECT (SELECT COUNT(*) FROM ExtensionRequest WHERE status = '已同意') AS answered, (SELECT COUNT(*) FROM Event WHERE kind = '同意延期') AS events`).get() as { answered: number; events: number };
    expect(ext.answered).toBe(ext.events);
    // every acknowledged message was committed (its key claimed in the same transaction)
    const claimed = new Set((raw.prepare(`SELECT key FROM ProcessedMessage`).all() as { key: string }[]).map((r) => r.key));
    for (const id of done) expect(claimed.has(claimKey(`direct::${id}`)), `acknowledged message ${id} was not committed`).toBe(true);
    const events = (raw.prepare(`SELECT COUNT(*) AS n FROM Event`).get() as { n: number }).n;
    return { items: items.length, events };
  } finally {
    raw.close();
  }
}

describe("a command is acknowledged only after it is committed", () => {
  it("killing the process at any moment, in the middle of any command, leaves every item whole", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "duban-kill-"));
    const db = path.join(dir, "duban.db");
    const done = new Set<string>();
    let stats = { items: 0, events: 0 };
    for (let round = 0; round < 30; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "test/fixtures/mixed-child.ts"), db, EXAMPLE_CONFIG, EVIDENCE_PNG], { stdio: ["ignore", "pipe", "inherit"] });
      // kill after a different number of answers each round, a moment later: at whatever statement the
      // child is on by then
      const target = done.size + 4 + ((round * 7) % 13);
      let killing = false;
      await new Promise<void>((resolve) => {
        let buf = "";
        child.stdout.on("data", (d) => {
          buf += d;
          for (const m of buf.matchAll(/DONE (\S+)\n/g)) done.add(m[1]);
          buf = buf.slice(buf.lastIndexOf("\n") + 1);
          if (done.size >= target && !killing) {
            killing = true;
            setTimeout(() => child.kill("SIGKILL"), Math.random() * 4);
          }
        });
        child.on("exit", () => resolve());
      });
      stats = checkWhole(db, done);
    }
    // the mix really ran: many items, each through several commands
    expect(done.size).toBeGreaterThanOrEqual(150);
    expect(stats.items).toBeGreaterThanOrEqual(10);
    expect(stats.events).toBeGreaterThan(stats.items * 4);
  }, 180_000);
});
