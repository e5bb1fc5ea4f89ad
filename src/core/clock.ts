/** Time is a parameter: production reads the system clock, tests and replay own a virtual one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export class VirtualClock implements Clock {
  constructor(private t: Date) {}
  now(): Date {
    return new Date(this.t);
  }
  set(t: Date): void {
    if (t.getTime() < this.t.getTime()) throw new Error(`时间只能向前：${t.toISOString()} 早于 ${this.t.toISOString()}`);
    this.t = new Date(t);
  }
}
