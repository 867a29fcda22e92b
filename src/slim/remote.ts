import { MethodNotFoundError, RemoteError, UnknownClassError } from '../client/index.js';
import type { Topology } from '../topology/index.js';
import { couldNotInvokeConstructor, noClass, noMethod } from './exceptions.js';
import { named, RocError } from '../wire/errors.js';

/** A make of `<guest>.<Class>`: an instance on that guest's agent. */
export class RemoteFixture {
  readonly guest: string;
  readonly className: string;
  readonly endpoint: string;
  readonly remote: Record<string, (...args: unknown[]) => Promise<unknown>>;

  constructor(guest: string, className: string, endpoint: string, remote: object) {
    this.guest = guest;
    this.className = className;
    this.endpoint = endpoint;
    this.remote = remote as Record<string, (...args: unknown[]) => Promise<unknown>>;
  }

  toString(): string {
    return `${this.guest}.${this.className}`;
  }
}

/** Remote errors carry the guest, the remote class and the message into the SLIM exception. */
export class RemoteFixtureError extends RocError {
  static {
    named(this, 'RemoteFixtureError');
  }
  constructor(guest: string, what: string, err: unknown) {
    const e = err as RemoteError;
    const detail = err instanceof RemoteError ? `${e.remoteName}: ${e.remoteMessage}` : (err as Error).message;
    super(`${guest} ${what}: ${detail}`, { cause: err });
    this.stack = `${this.name}: ${this.message}\n    at ${what} on ${guest}${err instanceof RemoteError && e.remoteStack ? `\n    --- remote stack on ${guest} ---\n${e.remoteStack}` : ''}`;
  }
}

/** `guest.Class` where guest is one of the topology's guests. */
export function isRemoteFixtureName(
  className: string,
  topology: Topology | undefined,
): { guest: string; cls: string } | undefined {
  const dot = className.indexOf('.');
  if (dot <= 0 || !topology) return undefined;
  const guest = className.slice(0, dot);
  if (!topology.specs.has(guest)) return undefined;
  return { guest, cls: className.slice(dot + 1) };
}

export async function makeRemote(
  topology: Topology,
  guest: string,
  cls: string,
  args: unknown[],
): Promise<RemoteFixture> {
  const g = topology.guest(guest);
  const mod = g.module as Record<string, (...a: unknown[]) => Promise<object>>;
  const endpoint = g.endpoint.replace(/^ssh:/, 'ssh ');
  const where = `guest ${guest} (${endpoint})`;
  try {
    return new RemoteFixture(guest, cls, endpoint, await mod[cls]!(...args));
  } catch (err) {
    if (err instanceof UnknownClassError)
      throw noClass(`${guest}.${cls}`, `${where} serves ${err.available.join(', ') || 'no classes'}`, { cause: err });
    if (err instanceof RemoteError)
      throw couldNotInvokeConstructor(
        `${guest}.${cls}`,
        args.length,
        new RemoteFixtureError(guest, `${cls}(...)`, err),
      );
    throw couldNotInvokeConstructor(`${guest}.${cls}`, args.length, err);
  }
}

export async function callRemote(fixture: RemoteFixture, method: string, args: unknown[]): Promise<unknown> {
  try {
    return await fixture.remote[method]!(...args);
  } catch (err) {
    // An optional table method the remote class lacks must read as NO_METHOD_IN_CLASS, which FitNesse skips.
    if (err instanceof MethodNotFoundError) {
      const has = /; it has (.*)$/.exec(err.remoteMessage)?.[1];
      throw noMethod(
        method,
        args.length,
        String(fixture),
        `on guest ${fixture.guest} (${fixture.endpoint}) ${fixture.className} has ${has ?? 'no such method'}`,
        { cause: err },
      );
    }
    throw new RemoteFixtureError(fixture.guest, `${fixture.className}.${method}`, err);
  }
}
