import { inspect } from 'node:util';
import { FaultCode } from '../protocol/index.js';
import { RemoteError, UnknownClassError } from './errors.js';
import { answerProbe, isProbe, type LocalView } from './probes.js';
import { makeRemoteObject } from './remote-object.js';
import type { ServerProxy } from './server-proxy.js';
import type { RemoteModule, UntypedRemoteModule } from './types.js';

/** Does this fault say "no such class"? Ours says UnknownClassError; Python's ROC raises KeyError. */
function isUnknownClass(err: unknown): boolean {
  if (!(err instanceof RemoteError)) return false;
  return (
    err.remoteName === 'UnknownClassError' || (err.remoteName === 'KeyError' && err.faultCode === FaultCode.APPLICATION)
  );
}

/**
 * A module-like object for the classes an agent serves, as the original's
 * `remote_module(proxy)`: `await mod.RemoteClass(1, 2, 3)` creates an
 * instance on the agent and resolves with its proxy. Exported functions of
 * the served modules are called the same way.
 *
 * Typed: `remoteModule<typeof import('./remote_class.js')>(proxy)`.
 */
export function remoteModule<M = unknown>(
  server: ServerProxy,
): unknown extends M ? UntypedRemoteModule : RemoteModule<M> {
  const functions = new Set<string>();
  const factories = new Map<string, (...args: unknown[]) => Promise<unknown>>();

  /** After "no such class": learns the name is a function, or rejects with the list of classes. */
  const resolveUnknown = async (name: string, cause: unknown): Promise<void> => {
    const description = await server.describe().catch(() => undefined);
    if (description?.functions.some((f) => f.name === name)) {
      functions.add(name);
      return;
    }
    // A Python agent has no describe(): its classes() is the list.
    const available = description ? description.classes.map((c) => c.name) : await server.classes().catch(() => []);
    throw new UnknownClassError(server.site(`create(${JSON.stringify(name)})`), name, available, { cause });
  };

  const factory =
    (name: string) =>
    async (...args: unknown[]): Promise<unknown> => {
      if (functions.has(name)) return server.callWith(name, args);
      let handle: string;
      try {
        handle = await server.create(name, args);
      } catch (err) {
        if (!isUnknownClass(err)) throw err;
        await resolveUnknown(name, err);
        return server.callWith(name, args);
      }
      if (typeof handle !== 'string')
        throw new TypeError(
          `create(${JSON.stringify(name)}) on ${server.endpoint} answered ${inspect(handle)}, not a handle name: is this a ROC agent?`,
        );
      return makeRemoteObject(server, handle, name);
    };

  const describe = (): string => `RemoteModule<${server.guest ? `${server.guest} ` : ''}${server.endpoint}>`;
  const view: LocalView = {
    describe,
    json: () => ({ remoteModule: server.endpoint, guest: server.guest ?? null }),
    tag: 'RemoteModule',
  };
  const target = Object.create(null) as Record<symbol, unknown>;
  target[inspect.custom] = describe;
  const mod = new Proxy(target, {
    get(_target, key) {
      if (isProbe(key)) return answerProbe(key, view);
      let f = factories.get(key as string);
      if (!f) {
        f = factory(key as string);
        factories.set(key as string, f);
      }
      return f;
    },
    set(_target, key) {
      throw new TypeError(`a remote module is read-only; cannot set ${String(key)}`);
    },
  });
  return mod as unknown extends M ? UntypedRemoteModule : RemoteModule<M>;
}
