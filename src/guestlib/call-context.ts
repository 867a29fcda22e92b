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

/** The current call's signal: aborted when its caller has gone (never, outside a call). */
export const callSignal = (): AbortSignal | undefined => libraryCall.getStore()?.signal;

export const libraryCall = new AsyncLocalStorage<LibraryCall>();
