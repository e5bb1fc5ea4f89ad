// A channel that reaches every chat and hands each text to `sendText` (tests and fixtures that look at
// what the bot says without a chat platform). Files are dropped unless `sendFile` is given.
import type { Channel, Target } from "../src/core/ports.ts";

export interface FakeChannelOptions {
  name?: string;
  maxBytes?: number;
  perTarget?: number;
  windowMs?: number;
  sendFile?: (t: Target, file: string) => Promise<void>;
  overhead?: (t: Target, mentions: string[]) => Promise<number>;
}

export function fakeChannel(sendText: (t: Target, text: string, mentions: string[]) => Promise<void>, o: FakeChannelOptions = {}): Channel {
  return {
    name: o.name ?? "fake",
    limits: { maxBytes: o.maxBytes ?? 2000, perTarget: o.perTarget ?? 1_000_000, windowMs: o.windowMs ?? 60_000, files: true },
    account: () => "",
    overhead: o.overhead,
    start: async () => {},
    canReach: () => true,
    send: (d) => (d.file ? (o.sendFile?.(d.target, d.file) ?? Promise.resolve()) : sendText(d.target, d.text ?? "", d.mentions)),
    stop: async () => {},
  };
}
