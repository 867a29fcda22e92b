import * as AREAS from './areas.js';

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

/** Puts the guest library where served modules find it (before they load, so their top level can take it). */
export function publishGuestLibrary(): void {
  (globalThis as Record<symbol, unknown>)[GUEST_LIBRARY_KEY] ??= Object.freeze({ ...AREAS });
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
export { stopAllChildren } from './child.js';
