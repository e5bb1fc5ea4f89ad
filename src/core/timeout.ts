// Every network wait has a limit: a stalled puppet (a download, a send) must not hold up anything else.

/** The wait ran out; what it waited for may still finish (or may have happened) later. */
export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}：${ms} 毫秒内没有完成`);
    this.name = "TimeoutError";
  }
}

/**
 * `p`, or a TimeoutError after `ms`. The timer does not keep the process alive and is cleared as soon as
 * `p` settles; `p` itself runs on (a late rejection of it is swallowed here: the caller has moved on).
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    timer.unref?.();
  });
  p.catch(() => {});
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
