import { ITERATOR_LIMITS, type IteratorBatch } from '../protocol/index.js';
import { callSignal } from '../guestlib/call-context.js';

const IMMEDIATE = Symbol('immediate');
/** Resolves after the items a source has ready now: what is ready goes in this batch, nothing more. */
const immediate = (): Promise<typeof IMMEDIATE> => new Promise((resolve) => setImmediate(() => resolve(IMMEDIATE)));

/**
 * An async iterable served to a caller: each next() pulls at most one batch
 * from the source, waiting a bounded time for its first item. Pulls run one
 * at a time. When the source ends, throws or is returned, the cursor frees
 * its handle at once.
 */
export class Cursor {
  readonly #source: AsyncIterator<unknown>;
  #pending: Promise<IteratorResult<unknown>> | undefined;
  #done = false;
  #queue: Promise<unknown> = Promise.resolve();
  #free: () => void = () => {};

  constructor(iterable: AsyncIterable<unknown>) {
    this.#source = iterable[Symbol.asyncIterator]();
  }

  /** Called once the cursor has its handle: how to free it. */
  bind(free: () => void): void {
    this.#free = free;
  }

  /** Up to `max` items, waiting up to `waitMs` for the first one; `done` once the source has ended. */
  next(max: number = ITERATOR_LIMITS.batch, waitMs: number = 1_000): Promise<IteratorBatch> {
    if (!Number.isInteger(max) || max < 1 || max > ITERATOR_LIMITS.maxBatch)
      return Promise.reject(new RangeError(`next(max, waitMs): max is 1 to ${ITERATOR_LIMITS.maxBatch}, got ${max}`));
    if (typeof waitMs !== 'number' || !(waitMs >= 0) || waitMs > ITERATOR_LIMITS.maxWaitMs)
      return Promise.reject(
        new RangeError(`next(max, waitMs): waitMs is 0 to ${ITERATOR_LIMITS.maxWaitMs}, got ${waitMs}`),
      );
    const run = this.#queue.then(() => this.#pull(max, waitMs));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Ends the iteration early (the caller's `break`); the source's own cleanup runs. */
  async return(): Promise<boolean> {
    if (this.#done) return false;
    const waiting = this.#pending !== undefined;
    this.#end();
    const ended = Promise.resolve(this.#source.return?.()).catch(() => undefined);
    // A generator parked in an await runs its return() only once that await settles: do not hold the caller for it.
    if (!waiting) await ended;
    return true;
  }

  #end(): void {
    this.#done = true;
    this.#pending = undefined;
    this.#free();
  }

  async #pull(max: number, waitMs: number): Promise<IteratorBatch> {
    if (this.#done) return { items: [], done: true };
    const items: unknown[] = [];
    let first: IteratorResult<unknown> | typeof IMMEDIATE;
    const pending = (this.#pending ??= this.#source.next());
    let timer: NodeJS.Timeout | undefined;
    // The long poll ends early when its caller hangs up: it holds a call slot while it waits.
    const caller = callSignal();
    let hungUp: (() => void) | undefined;
    try {
      first = await Promise.race([
        pending,
        new Promise<typeof IMMEDIATE>((resolve) => {
          timer = setTimeout(() => resolve(IMMEDIATE), waitMs);
          hungUp = () => resolve(IMMEDIATE);
          caller?.addEventListener('abort', hungUp, { once: true });
          if (caller?.aborted) hungUp();
        }),
      ]);
    } catch (err) {
      this.#end();
      throw err;
    } finally {
      clearTimeout(timer);
      if (hungUp) caller?.removeEventListener('abort', hungUp);
    }
    if (first === IMMEDIATE) return { items, done: false }; // the pending pull stays for the next call
    this.#pending = undefined;
    if (first.done) {
      this.#end();
      return { items, done: true };
    }
    items.push(first.value);
    while (items.length < max) {
      const next = this.#source.next();
      let r: IteratorResult<unknown> | typeof IMMEDIATE;
      try {
        r = await Promise.race([next, immediate()]);
      } catch (err) {
        // The items before the error still reach the caller; the error ends the next pull.
        this.#pending = next;
        break;
      }
      if (r === IMMEDIATE) {
        this.#pending = next;
        break;
      }
      if (r.done) {
        this.#end();
        return { items, done: true };
      }
      items.push(r.value);
    }
    return { items, done: false };
  }
}

export function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
