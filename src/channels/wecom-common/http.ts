// One HTTP call to a WeCom endpoint, with a timeout, classified by what it tells about delivery.
// (Shared by the WeCom HTTP channels: the 自建应用 and the 群机器人 webhook.)
//
// WeCom answers HTTP 200 with `{ errcode, errmsg, … }`; errcode 0 is success. What a failure means for a
// message depends on where it happened:
// - `connect`: the request never reached the server (refused, no such host, no route, TLS): nothing sent;
// - `timeout`, `network` (a reset mid-way), `server` (5xx), `badbody` (not WeCom's JSON): the server may
//   have acted on it;
// - an errcode ≠ 0 in the JSON: the server refused it (the caller turns that into a definite failure).
import { statSync } from "node:fs";

export type Fetch = typeof globalThis.fetch;

/** A structural Logger (src/core/log.ts has one): a channel imports nothing of the core but ports.ts. */
export interface ChannelLog {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export type HttpFailureKind = "connect" | "timeout" | "network" | "server" | "badbody";

export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly kind: HttpFailureKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = "HttpFailure";
  }
}

/** Error codes of a connection that was never made (undici puts the system error in `cause`). */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT", "CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "ERR_TLS_CERT_ALTNAME_INVALID", "ERR_INVALID_URL"]);

function causeCode(e: unknown): string | undefined {
  for (let c: any = e, i = 0; c && i < 4; c = c.cause, i++) if (typeof c.code === "string") return c.code;
  return undefined;
}

/**
 * `fetch` with a deadline that covers the body too; resolves to the parsed JSON of any answer the server
 * gave (also a 4xx that carries WeCom's JSON), throws HttpFailure otherwise. `what` names the call in
 * error messages; it never contains the URL (its query holds the token or the webhook key).
 */
export async function callJson(fetchFn: Fetch, url: string, init: RequestInit, timeoutMs: number, what: string): Promise<Record<string, unknown>> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  timer.unref?.();
  try {
    let res: Response;
    try {
      res = await fetchFn(url, { ...init, signal: ctl.signal });
    } catch (e) {
      if (ctl.signal.aborted) throw new HttpFailure(`${what}：${timeoutMs} 毫秒内没有应答`, "timeout");
      const code = causeCode(e) ?? ((e as any)?.cause?.message === "bad port" ? "bad port" : undefined);
      if (code && (NOT_CONNECTED.has(code) || code === "bad port")) throw new HttpFailure(`${what}：连接不上服务器（${code}）`, "connect");
      throw new HttpFailure(`${what}：网络错误（${code ?? (e as Error)?.message ?? e}）`, "network");
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      if (ctl.signal.aborted) throw new HttpFailure(`${what}：${timeoutMs} 毫秒内没有应答完`, "timeout", res.status);
      throw new HttpFailure(`${what}：读取应答时网络错误（${causeCode(e) ?? (e as Error)?.message ?? e}）`, "network", res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const ok = json && typeof json === "object" && typeof (json as { errcode?: unknown }).errcode === "number";
    if (ok && res.status < 500) return json as Record<string, unknown>;
    if (res.status >= 500) throw new HttpFailure(`${what}：服务器错误 HTTP ${res.status}`, "server", res.status);
    throw new HttpFailure(`${what}：应答不是企业微信的格式（HTTP ${res.status}）`, "badbody", res.status);
  } finally {
    clearTimeout(timer);
  }
}

/** A credential shortened for a log line: the first and last 4 characters. */
export function mask(secret: string): string {
  return secret.length <= 10 ? "****" : `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}

/** May a file of this size go (min ≤ size ≤ max)? A file that cannot be read is let through: send() says what is wrong with it. */
export function sizeWithin(file: string, min: number, max: number): boolean {
  try {
    const size = statSync(file).size;
    return size >= min && size <= max;
  } catch {
    return true;
  }
}
