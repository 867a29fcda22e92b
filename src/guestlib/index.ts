import * as AREAS from './areas.js';
import { markLibraryTaken } from './call-context.js';

export type * from './types.js';

/** The library's areas, as `roc.<area>.<name>` shows them. */
export const LIBRARY_AREAS: readonly string[] = Object.keys(AREAS);

/**
 * Where served modules find the agent's own guest library:
 * `const { processes, wait } = globalThis[Symbol.for('roc.guestlib')]`. The
 * agent's, not a copy: a daemon a served class starts is listed by
 * processes.started(), and stops with the agent.
 */
export const GUEST_LIBRARY_KEY: unique symbol = Symbol.for('roc.guestlib') as never;

/**
 * Puts the guest library where served modules find it (before they load, so
 * their top level can take it). Taking it is noted: from then on served calls
 * run with the call's context (callSignal), which the library's waits and
 * commands read; an agent whose served code never takes it does not pay for
 * that context on every call.
 */
export function publishGuestLibrary(): void {
  if (Object.getOwnPropertyDescriptor(globalThis, GUEST_LIBRARY_KEY)) return;
  const library = Object.freeze({ ...AREAS });
  Object.defineProperty(globalThis, GUEST_LIBRARY_KEY, {
    configurable: true,
    get: () => {
      markLibraryTaken();
      return library;
    },
  });
}

/** The prefix of every library method on the wire, so none can collide with a served class. */
export const LIBRARY_NAMESPACE = 'roc';

/**
 * The built-in guest library as wire methods: `roc.files.read`,
 * `roc.command.run`, ... Plain functions; nothing holds state between calls.
 */
export function guestLibraryMethods(): Map<string, (...args: unknown[]) => unknown> {
  const methods = new Map<string, (...args: unknown[]) => unknown>();
  for (const [area, mod] of Object.entries(AREAS)) {
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn === 'function')
        methods.set(`${LIBRARY_NAMESPACE}.${area}.${name}`, fn as (...args: unknown[]) => unknown);
    }
  }
  return methods;
}

export { parseProcAddress } from './proc-net.js';
export { faultsPort, startFaults, stopFaults } from './fault-registry.js';
export { callSignal, isLibraryTaken, withCall, type LibraryCall } from './call-context.js';
export { stopAllChildren } from './child.js';
