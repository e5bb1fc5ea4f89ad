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

/**
 * The playground's clock: it runs with the wall clock, from wherever it was last set; a jump only goes
 * forward (what is scheduled in between is run by whoever jumps, as the replay harness does).
 */
export class PlaygroundClock implements Clock {
  private offset: number;
  constructor(start: Date) {
    this.offset = start.getTime() - Date.now();
  }
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  set(t: Date): void {
    if (t.getTime() < this.now().getTime() - 1000) throw new Error("时间只能向前");
    this.offset = t.getTime() - Date.now();
  }
}
