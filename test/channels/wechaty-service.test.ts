// SPEC §8, the Wechaty channel as production runs it: `src/main.ts` in its own process, with
// WECHATY_PUPPET_SERVICE_TOKEN / _ENDPOINT / _NO_TLS_INSECURE_CLIENT, against wechaty-puppet-service's own
// PuppetServer (gRPC, token check, TLS) in front of wechaty-puppet-mock on 127.0.0.1.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakePuppetService, freePort } from "../fakes/puppet-server.ts";
import { EVIDENCE_PNG, EXAMPLE_CONFIG, ROOT, example } from "../helpers.ts";

const G = "东村工作群";

interface Line {
  /** ms since the child was spawned, as the test saw the line */
  seen: number;
  json?: Record<string, any>;
  raw: string;
}

/** Duban's production entry as a child process; its stderr read as one JSON line per event. */
class Duban {
  readonly proc: ChildProcess;
  readonly lines: Line[] = [];
  readonly dir = mkdtempSync(path.join(os.tmpdir(), "duban-wechaty-"));
  private readonly spawned = Date.now();
  private waiters: { match: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(wechaty: Record<string, string | undefined>, webPort: number) {
    // nothing of the developer's own environment decides the channel, the database or the config
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHATY_|DUBAN_|DATABASE_URL$|LOG_LEVEL$)/.test(k)));
    Object.assign(env, {
      DATABASE_URL: "file:" + path.join(this.dir, "d.db"),
      DUBAN_CONFIG: EXAMPLE_CONFIG,
      DUBAN_EVIDENCE_DIR: path.join(this.dir, "evidence"),
      DUBAN_WEB_PORT: String(webPort),
      LOG_LEVEL: "info",
      ...wechaty,
    });
    // its own process group: whatever it starts can be found (and ended) afterwards
    this.proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
    let buf = "";
    this.proc.stderr!.on("data", (d) => {
      buf += d;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      for (const raw of parts) {
        let json: Record<string, any> | undefined;
        try {
          json = raw.startsWith("{") ? JSON.parse(raw) : undefined;
        } catch {
          /* not one of ours */
        }
        const l = { seen: Date.now() - this.spawned, json, raw };
        this.lines.push(l);
        this.waiters = this.waiters.filter((w) => (w.match(l) ? (w.resolve(l), false) : true));
      }
    });
    this.proc.stdout!.resume();
  }

  event(name: string): Record<string, any>[] {
    return this.lines.filter((l) => l.json?.event === name).map((l) => l.json!);
  }

  waitFor(what: string, match: (j: Record<string, any>) => boolean, ms: number): Promise<Record<string, any>> {
    const m = (l: Line) => !!l.json && match(l.json);
    const seen = this.lines.find(m);
    if (seen) return Promise.resolve(seen.json!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; stderr:\n${this.lines.map((l) => l.raw.slice(0, 300)).join("\n")}`)), ms);
      this.waiters.push({ match: m, resolve: (l) => (clearTimeout(timer), resolve(l.json!)) });
      void this.exited.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before ${what}; stderr:\n${this.lines.map((l) => l.raw.slice(0, 300)).join("\n")}`)));
    });
  }

  /** SIGTERM; SIGKILL (to the group) if it has not exited within `ms`. */
  async stop(ms = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean; ms: number }> {
    const t = Date.now();
    let killed = false;
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGTERM");
    const timer = setTimeout(() => {
      killed = true;
      this.killGroup();
    }, ms);
    const r = await this.exited;
    clearTimeout(timer);
    return { ...r, killed, ms: Date.now() - t };
  }

  /** Processes still in the child's group (the child, esbuild's service, …), a moment after it exited. */
  async leftovers(): Promise<number[]> {
    for (let i = 0; i < 40; i++) {
      const left = processGroup(this.proc.pid!);
      if (!left.length) return [];
      await new Promise((r) => setTimeout(r, 50));
    }
    return processGroup(this.proc.pid!);
  }

  killGroup(): void {
    try {
      process.kill(-this.proc.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  }

  /** ms between two of the child's own log lines */
  static between(a: Record<string, any>, b: Record<string, any>): number {
    return Date.parse(b.t) - Date.parse(a.t);
  }
}

/** pids whose process group is `pgid` (Linux /proc). */
function processGroup(pgid: number): number[] {
  if (!existsSync("/proc/self/stat")) {
    try {
      process.kill(pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") pids.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** Whether something still listens on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const children: Duban[] = [];
// the broken set-ups (last describe) start first: they mostly wait, beside the working ones
let broken: ReturnType<typeof startBroken>;
beforeAll(() => {
  broken = startBroken();
  broken.catch(() => {}); // reported by the test that awaits it
});
afterAll(() => {
  for (const c of children) {
    c.killGroup(); // only if a test failed half-way: normally all are gone already
    rmSync(c.dir, { recursive: true, force: true });
  }
});

// TLS off: the server plain, the client with WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true. TLS on: the
// server with the certificate wechaty-puppet-service ships (CN "insecure", signed by the Wechaty CA the client
// trusts by default, matched through the token's "insecure_" prefix), the client without the variable. That
// each really is what it says is shown below: the other client setting is refused by each server.
describe.each([
  { label: "TLS off", tls: false, clientEnv: { WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: "true" } },
  { label: "TLS on", tls: true, clientEnv: {} },
])("npm start against a puppet service, $label", ({ tls, clientEnv }) => {
  let svc: FakePuppetService;
  let duban: Duban;
  let port: number;
  let itemNo: string;

  beforeAll(async () => {
    svc = new FakePuppetService(example(), { tls });
    port = await freePort();
    await svc.start(port);
    duban = new Duban({ WECHATY_PUPPET_SERVICE_TOKEN: svc.token, WECHATY_PUPPET_SERVICE_ENDPOINT: svc.endpoint, ...clientEnv }, await freePort());
    children.push(duban);
    const login = await duban.waitFor("wechaty.login", (j) => j.event === "wechaty.login", 40_000);
    expect(login).toMatchObject({ user: "duban-bot", name: "督办助手" });
    expect(svc.puppet.isLoggedIn).toBe(true);
  });

  afterAll(async () => {
    if (!duban) return;
    const exit = await duban.stop();
    await svc.stop();
    expect(exit).toMatchObject({ code: 0, signal: null, killed: false }); // SIGTERM: a clean exit, not a kill
    expect(await duban.leftovers()).toEqual([]);
    expect(await listening(port)).toBe(false);
    expect(duban.event("wechaty.error")).toEqual([]);
    expect(duban.event("message.failed")).toEqual([]);
    rmSync(duban.dir, { recursive: true, force: true });
  });

  it("a /上报 in a group is answered in that group, @-mentioning the sender", async () => {
    const from = svc.sent.length;
    svc.say("zhangsan", "/上报 公开栏未更新", G);
    const reply = await svc.next((s) => s.room === svc.roomId(G) && /已登记 #\d+/.test(s.text ?? ""), 15_000, from);
    // the mock keeps only the text: room.say put "@张三 " before it; the ids went over gRPC beside it
    expect(reply.text).toMatch(/^@张三 已登记 #\d+：公开栏未更新/);
    expect(reply.mentions).toEqual(["zhangsan"]);
    itemNo = reply.text!.match(/#(\d+)/)![1];
    expect(svc.sent.slice(from).filter((s) => s.to === "zhangsan")).toEqual([]); // answered in the group, not privately
  });

  it("a private /台账 from a 督办员 is answered with a real .xlsx file", async () => {
    const from = svc.sent.length;
    svc.say("ban1", "/台账");
    const sent = await svc.next((s) => s.to === "ban1" && !!s.file, 20_000, from);
    expect(sent.file!.name).toMatch(/^台账-青山镇-.*\.xlsx$/);
    const bytes = await sent.file!.toBuffer();
    expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(bytes as any);
    const cells: string[] = [];
    book.eachSheet((sheet) => sheet.eachRow((row) => row.eachCell((c) => cells.push(String(c.text)))));
    expect(cells).toContain("公开栏未更新"); // the item reported in the group a moment ago
  });

  it("/整改 and then a photo in the same group: the photo is saved as evidence and acknowledged", async () => {
    // 督办员 assigns the item to 张三 privately
    let from = svc.sent.length;
    svc.say("ban1", `/交办 #${itemNo} @东村 @张三 截止:5个工作日`);
    await svc.next((s) => s.to === "ban1" && new RegExp(`#${itemNo}`).test(s.text ?? ""), 15_000, from);
    from = svc.sent.length;
    svc.say("zhangsan", `/整改 #${itemNo} 公开栏已更新`, G);
    const submitted = await svc.next((s) => s.room === svc.roomId(G) && /已提交/.test(s.text ?? ""), 15_000, from);
    expect(submitted.text).toMatch(new RegExp(`^@张三 已提交 #${itemNo} 整改情况`));
    from = svc.sent.length;
    svc.image("zhangsan", EVIDENCE_PNG, G);
    const ack = await svc.next((s) => s.room === svc.roomId(G) && /整改佐证照片/.test(s.text ?? ""), 15_000, from);
    expect(ack.text).toMatch(new RegExp(`^@张三 已收到 #${itemNo} 的整改佐证照片（第 1 张）`));
    expect(ack.mentions).toEqual(["zhangsan"]);
    // the very bytes the member sent, through gRPC and the FileBox, now under the evidence dir
    const png = readFileSync(EVIDENCE_PNG);
    const saved = filesUnder(path.join(duban.dir, "evidence")).filter((f) => !f.includes(".incoming"));
    expect(saved).toHaveLength(1);
    expect(readFileSync(saved[0]).equals(png)).toBe(true);
  });
});

/**
 * Duban started with a wrong token, against a refused port, a silent port, with TLS mismatched either way and
 * without an endpoint. Started before everything else (they only wait on timers and the network); each is
 * stopped with SIGTERM as soon as it has said what it should, so none waits for the end of the file.
 */
async function startBroken() {
  const plain = new FakePuppetService(example(), { tls: false });
  const secure = new FakePuppetService(example(), { tls: true });
  await plain.start();
  await secure.start();
  const refused = `127.0.0.1:${await freePort()}`;
  // accepts the connection and never says a word (a firewall, or some other program on that port)
  const sink = net.createServer((s) => s.on("error", () => {}));
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", () => r()));
  const silent = `127.0.0.1:${(sink.address() as net.AddressInfo).port}`;
  const NO_TLS = { WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: "true" };
  const TOKEN = /WECHATY_PUPPET_SERVICE_TOKEN/;
  const ENDPOINT = /WECHATY_PUPPET_SERVICE_ENDPOINT/;
  const TLS = /WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT/;
  const cases = {
    token: { event: "wechaty.error", names: TOKEN, env: { WECHATY_PUPPET_SERVICE_TOKEN: "insecure_wrong-token", WECHATY_PUPPET_SERVICE_ENDPOINT: plain.endpoint, ...NO_TLS } },
    refused: { event: "wechaty.error", names: ENDPOINT, env: { WECHATY_PUPPET_SERVICE_TOKEN: plain.token, WECHATY_PUPPET_SERVICE_ENDPOINT: refused, ...NO_TLS } },
    silent: { event: "wechaty.not_logged_in", names: ENDPOINT, env: { WECHATY_PUPPET_SERVICE_TOKEN: plain.token, WECHATY_PUPPET_SERVICE_ENDPOINT: silent, ...NO_TLS } },
    tlsToPlain: { event: "wechaty.error", names: TLS, env: { WECHATY_PUPPET_SERVICE_TOKEN: plain.token, WECHATY_PUPPET_SERVICE_ENDPOINT: plain.endpoint } },
    plainToTls: { event: "wechaty.error", names: TLS, env: { WECHATY_PUPPET_SERVICE_TOKEN: secure.token, WECHATY_PUPPET_SERVICE_ENDPOINT: secure.endpoint, ...NO_TLS } },
    // no endpoint: the address is asked of the token's authority (api.chatie.io; here a closed port). The
    // puppet's own resolver would end the process under @grpc/grpc-js 1.14; Duban asks itself, and stays up
    noEndpoint: { event: "wechaty.error", names: ENDPOINT, env: { WECHATY_PUPPET_SERVICE_TOKEN: plain.token, WECHATY_PUPPET_SERVICE_AUTHORITY: refused, ...NO_TLS } },
  };
  const outcomes = await Promise.all(
    Object.entries(cases).map(async ([name, c]) => {
      const d = new Duban(c.env, await freePort());
      children.push(d);
      const said = (async () => {
        const start = await d.waitFor("duban.start", (j) => j.event === "duban.start", 45_000);
        const line = await d.waitFor(`${c.event} naming ${c.names}`, (j) => j.event === c.event && c.names.test(j.hint ?? ""), 30_000);
        return { line, after: Duban.between(start, line) };
      })();
      // stopped as soon as it has spoken (or failed to)
      const exit = said.then(
        () => d.stop(20_000),
        () => d.stop(20_000),
      );
      return [name, { d, said, exit }] as const;
    }),
  );
  const run = Object.fromEntries(outcomes);
  return {
    run,
    async close() {
      sink.close();
      await plain.stop();
      await secure.stop();
      return [plain.endpoint, secure.endpoint, silent].map((ep) => Number(ep.split(":")[1]));
    },
  };
}

describe("a wrong token or an unreachable service is logged within seconds, naming the variable to check", () => {
  it("wrong token, refused port, silent port, TLS mismatch either way, no endpoint", async () => {
    const { run, close } = await broken;
    const said = Object.fromEntries(await Promise.all(Object.entries(run).map(async ([k, r]) => [k, await r.said] as const)));
    console.info("[wechaty-service] ms from duban.start:", JSON.stringify(Object.fromEntries(Object.entries(said).map(([k, v]) => [k, v.after]))));
    // what the service said, and the Chinese line next to it
    expect(said.token.line.error).toMatch(/UNAUTHENTICATED/);
    expect(said.token.line.hint).toMatch(/令牌被拒绝/);
    expect(said.refused.line.error).toMatch(/ECONNREFUSED/);
    expect(said.refused.line.hint).toMatch(/连不上/);
    expect(said.tlsToPlain.line.hint).toMatch(/TLS/);
    expect(said.silent.line.hint).toMatch(/连不上/);
    // a refusal comes back at once; a silent service is called out by the timer
    for (const k of ["token", "refused", "tlsToPlain", "plainToTls", "noEndpoint"]) expect(said[k].after, k).toBeLessThan(5_000);
    expect(said.silent.after).toBeLessThan(13_000);
    for (const r of Object.values(run)) expect(r.d.event("wechaty.login")).toEqual([]);
    expect(said.noEndpoint.line.hint).toMatch(/主机:端口/);
    // each was still running and ended on SIGTERM (exit 0), without a SIGKILL — the no-endpoint one too
    const exits = Object.fromEntries(await Promise.all(Object.entries(run).map(async ([k, r]) => [k, await r.exit] as const)));
    console.info("[wechaty-service] exits:", JSON.stringify(exits));
    for (const [k, e] of Object.entries(exits)) {
      expect(e.killed, k).toBe(false);
      expect(e.code, k).toBe(0);
    }
    for (const r of Object.values(run)) {
      expect(await r.d.leftovers()).toEqual([]);
      rmSync(r.d.dir, { recursive: true, force: true });
    }
    for (const port of await close()) expect(await listening(port)).toBe(false);
  }, 60_000);
});
