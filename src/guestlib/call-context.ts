import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is calling, for the code that must know: the nemesis never cuts the
 * connection its controller calls over; a wait or a long poll ends when its
 * caller hangs up.
 */
export interface LibraryCall {
  /** The caller's address as this guest sees it. */
  readonly caller: string;
  /** Aborted when the caller has gone: what runs on its behalf stops. */
  readonly signal?: AbortSignal;
}

const current = new AsyncLocalStorage<LibraryCall>();
let callsInside = 0;
let libraryTaken = false;

/** The current call's signal: aborted when its caller has gone (never, outside a call). */
export const callSignal = (): AbortSignal | undefined => current.getStore()?.signal;

/** The current call's caller address (undefined outside a call). */
export const callCaller = (): string | undefined => current.getStore()?.caller;

/**
 * Runs `fn` as part of a call, so the library code it reaches knows the
 * call. On Node before 24, an AsyncLocalStorage that is enabled puts a hook
 * on every promise the process makes (~17,000 instructions of a small call
 * here, BENCHMARKS.md): it is enabled only while such a call runs, and
 * turned off when the last one ends.
 */
export function withCall<T>(call: LibraryCall, fn: () => Promise<T>): Promise<T> {
  callsInside++;
  let running: Promise<T>;
  try {
    running = current.run(call, fn);
  } catch (err) {
    running = Promise.reject(err);
  }
  return running.finally(() => {
    if (--callsInside === 0) current.disable();
  });
}

/** Served code took the guest library (globalThis[Symbol.for('roc.guestlib')]): what it runs may read the call. */
export const markLibraryTaken = (): void => {
  libraryTaken = true;
};

export const isLibraryTaken = (): boolean => libraryTaken;
