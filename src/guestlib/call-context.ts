import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is calling a library method, for the methods that must know: the
 * nemesis never cuts the connection its controller calls over.
 */
export interface LibraryCall {
  /** The caller's address as this guest sees it. */
  readonly caller: string;
}

export const libraryCall = new AsyncLocalStorage<LibraryCall>();
