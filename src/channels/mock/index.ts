// The mock chat as a channel (SPEC §8): the Wechaty channel over the mock puppet of world.ts, named
// `mock`. The replay harness, the playground console and the tests use it; `onSent` sees every delivery
// after the puppet took it (the harness writes its output lines there, the console prints them).
import type { Channel, Delivery } from "../../core/ports.ts";
import { createWechatyChannel, type TextLimits } from "../wechaty/index.ts";
import type { MockWorld } from "./world.ts";

export { BOT, MockWorld, type Said } from "./world.ts";

export interface MockChannelOptions {
  limits?: TextLimits;
  /** after each delivery the puppet accepted */
  onSent?: (d: Delivery) => void | Promise<void>;
  /** after each inbound message (err: it failed) */
  done?: (id: string, err?: unknown) => void;
}

export function createMockChannel(world: MockWorld, o: MockChannelOptions = {}): Channel {
  const ch = createWechatyChannel(world.bot, { name: "mock", limits: o.limits, done: o.done });
  return {
    ...ch,
    async send(d: Delivery) {
      await ch.send(d);
      await o.onSent?.(d);
    },
  };
}
