export interface EventuallyOptions {
  /** Give up after this many ms (default 10 s). */
  timeout?: number;
  /** Wait this long between attempts (default 100 ms). */
  interval?: number;
  /** Names the condition in the error. */
  message?: string;
}

export class EventuallyError extends Error {
  override name = 'EventuallyError';
  readonly attempts: number;
  constructor(message: string, attempts: number, options?: { cause?: unknown }) {
    super(message, options);
    this.attempts = attempts;
  }
}

/**
 * Retries fn until it neither throws nor returns false, and resolves with
 * what it returned: for assertions on state that converges (a replica that
 * catches up, a service that comes up). After the timeout it rejects with
 * the last failure as the cause.
 */
export async function eventually<T>(fn: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<Awaited<T>, false>> {
  const timeout = options.timeout ?? 10_000;
  const interval = options.interval ?? 100;
  const deadline = Date.now() + timeout;
  let attempts = 0;
  let last: unknown;
  for (;;) {
    attempts++;
    try {
      const value = await fn();
      if (value !== false) return value as Exclude<Awaited<T>, false>;
      last = new Error('the condition returned false');
    } catch (err) {
      last = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(interval, left)));
  }
  const why = last instanceof Error ? last.message : String(last);
  throw new EventuallyError(`${options.message ?? 'the condition'} still failed after ${timeout} ms (${attempts} attempts): ${why}`, attempts, { cause: last });
}
