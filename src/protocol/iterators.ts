/**
 * Remote async iterators. A served method that returns an async iterable
 * gives the caller a handle of this class; the caller pulls batches with
 * `<handle>.next(max, waitMs)`, which answers `{ items, done }`, and ends
 * it early with `<handle>.return()`. The agent reads from the iterable only
 * when asked, so it holds at most one batch for a slow consumer.
 */
export const ITERATOR_CLASS = 'AsyncIterator';

/** What one pull answers. */
export interface IteratorBatch<T = unknown> {
  items: T[];
  /** True once the iterable has ended: the handle is gone then. */
  done: boolean;
}

export const ITERATOR_LIMITS = {
  /** Items per pull a client asks for by default. */
  batch: 256,
  /** The most items one pull may ask for. */
  maxBatch: 10_000,
  /** The longest one pull waits for a first item before answering with none. */
  maxWaitMs: 30_000,
} as const;
