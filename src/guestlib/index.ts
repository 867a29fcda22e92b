import * as command from './command.js';
import * as files from './files.js';
import * as network from './network.js';
import * as processes from './processes.js';
import * as services from './services.js';
import * as system from './system.js';

export type * from './types.js';

/** The prefix of every library method on the wire, so none can collide with a served class. */
export const LIBRARY_NAMESPACE = 'roc';

const AREAS = { command, files, services, network, processes, system } as const;

/**
 * The built-in guest library as wire methods: `roc.files.read`,
 * `roc.command.run`, ... Plain functions; nothing holds state between calls.
 */
export function guestLibraryMethods(): Map<string, (...args: unknown[]) => unknown> {
  const methods = new Map<string, (...args: unknown[]) => unknown>();
  for (const [area, mod] of Object.entries(AREAS)) {
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn === 'function' && !name.startsWith('parse'))
        methods.set(`${LIBRARY_NAMESPACE}.${area}.${name}`, fn as (...args: unknown[]) => unknown);
    }
  }
  return methods;
}

export { parseProcAddress } from './network.js';
