import { retryUntil } from '../wire/index.js';
import { named, RocError } from '../wire/errors.js';

export interface EventuallyOptions {
  /** Give up after this many ms (default 10 s). */
  timeout?: number;
  /** Wait this long between attempts (default 100 ms). */
  interval?: number;
  /** Names the condition in the error. */
  message?: string;
}

export class EventuallyError extends RocError {
  static {
    named(this, 'EventuallyError');
  }
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
export async function eventually<T>(
  fn: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<Awaited<T>, false>> {
  const timeout = options.timeout ?? 10_000;
  let attempts = 0;
  let last: unknown;
  let value: Exclude<Awaited<T>, false> | undefined;
  await retryUntil(
    timeout,
    options.interval ?? 100,
    async () => {
      attempts++;
      try {
        const v = await fn();
        if (v !== false) {
          value = v as Exclude<Awaited<T>, false>;
          return true;
        }
        last = new Error('the condition returned false');
      } catch (err) {
        last = err;
      }
      return false;
    },
    () => {
      const why = last instanceof Error ? last.message : String(last);
      return new EventuallyError(
        `${options.message ?? 'the condition'} still failed after ${timeout} ms (${attempts} attempts): ${why}`,
        attempts,
        { cause: last },
      );
    },
  );
  return value as Exclude<Awaited<T>, false>;
}
