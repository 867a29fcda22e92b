import type { Readable } from 'node:stream';
import { LineSplitter } from './line-splitter.js';

/** How many items a stream may get ahead of its consumer before it is paused (the OS pipe then holds the writer). */
const HIGH_WATER = 256;

/**
 * Items from readable streams (a child's stdout and stderr), pulled by an
 * async iterator: the streams are paused while the consumer is behind, and
 * `finish` gives the last item once every stream has ended.
 */
export class StreamQueue<T> implements AsyncIterable<T>, AsyncIterator<T> {
  #items: T[] = [];
  #open = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #streams: Readable[] = [];
  readonly #onReturn: () => void;
  #last: (() => T | undefined) | undefined;

  constructor(onReturn: () => void) {
    this.#onReturn = onReturn;
  }

  /** Feeds a stream's data as items made by `map` (text in chunks, or line by line when `lines`). */
  add(stream: Readable, map: (text: string) => T, lines = false): void {
    this.#open++;
    this.#streams.push(stream);
    // Lines are split from bytes (bounded in length, linear in time); chunks are decoded whole characters at a time.
    const splitter = lines ? new LineSplitter() : undefined;
    if (!splitter) stream.setEncoding('utf8');
    stream.on('data', (data: Buffer | string) => {
      if (splitter) for (const line of splitter.push(data as Buffer)) this.#items.push(map(line));
      else this.#items.push(map(data as string));
      if (this.#items.length >= HIGH_WATER) stream.pause();
      this.#wake?.();
    });
    stream.once('end', () => {
      const rest = splitter?.rest();
      if (rest !== undefined) this.#items.push(map(rest));
      this.#open--;
      this.#wake?.();
    });
    stream.once('error', (err) => this.fail(err));
  }

  /** After every stream has ended, one more item (an exit code), then the end. */
  finish(last: () => T | undefined): void {
    this.#last = last;
    this.#wake?.();
  }

  fail(err: Error): void {
    this.#error ??= err;
    this.#wake?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.#items.length) {
        const value = this.#items.shift()!;
        if (this.#items.length < HIGH_WATER / 2) for (const s of this.#streams) s.resume();
        return { value, done: false };
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return { value: undefined, done: true };
      if (this.#open === 0 && this.#last) {
        this.#ended = true;
        const last = this.#last();
        if (last !== undefined) return { value: last, done: false };
        continue;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.#ended = true;
    this.#onReturn();
    this.#wake?.();
    return { value: undefined, done: true };
  }
}
