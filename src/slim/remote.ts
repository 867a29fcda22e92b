import { MethodNotFoundError, RemoteError, UnknownClassError } from '../client/index.js';
import type { Topology } from '../topology/index.js';
import { SlimFailure } from './exceptions.js';

/** A make of `<guest>.<Class>`: an instance on that guest's agent. */
export class RemoteFixture {
  readonly guest: string;
  readonly className: string;
  readonly remote: Record<string, (...args: unknown[]) => Promise<unknown>>;

  constructor(guest: string, className: string, remote: object) {
    this.guest = guest;
    this.className = className;
    this.remote = remote as Record<string, (...args: unknown[]) => Promise<unknown>>;
  }

  toString(): string {
    return `${this.guest}.${this.className}`;
  }
}

/** Remote errors carry the guest, the remote class and the message into the SLIM exception. */
export class RemoteFixtureError extends Error {
  override name = 'RemoteFixtureError';
  constructor(guest: string, what: string, err: unknown) {
    const e = err as RemoteError;
    const detail = err instanceof RemoteError ? `${e.remoteName}: ${e.remoteMessage}` : (err as Error).message;
    super(`${guest} ${what}: ${detail}`, { cause: err });
    if (err instanceof RemoteError && e.remoteStack) this.stack = `${this.name}: ${this.message}\n--- remote stack on ${guest} ---\n${e.remoteStack}`;
  }
}

export function isRemoteFixtureName(className: string, topology: Topology | undefined): { guest: string; cls: string } | undefined {
  const dot = className.indexOf('.');
  if (dot <= 0 || !topology) return undefined;
  const guest = className.slice(0, dot);
  if (!topology.specs.has(guest)) return undefined;
  return { guest, cls: className.slice(dot + 1) };
}

export async function makeRemote(topology: Topology, guest: string, cls: string, args: unknown[]): Promise<RemoteFixture> {
  const mod = topology.guest(guest).module as Record<string, (...a: unknown[]) => Promise<object>>;
  try {
    return new RemoteFixture(guest, cls, await mod[cls]!(...args));
  } catch (err) {
    if (err instanceof UnknownClassError) throw new SlimFailure('NO_CLASS', `${guest}.${cls}: guest ${guest} serves ${err.available.join(', ') || 'no classes'}`, { cause: err });
    if (err instanceof RemoteError) throw new SlimFailure('COULD_NOT_INVOKE_CONSTRUCTOR', `${guest}.${cls}[${args.length}]: ${err.remoteName}: ${err.remoteMessage}`, { cause: err });
    throw new SlimFailure('COULD_NOT_INVOKE_CONSTRUCTOR', `${guest}.${cls}[${args.length}]: ${(err as Error).message}`, { cause: err });
  }
}

export async function callRemote(fixture: RemoteFixture, method: string, args: unknown[]): Promise<unknown> {
  try {
    return await fixture.remote[method]!(...args);
  } catch (err) {
    // An optional table method the remote class lacks must read as NO_METHOD_IN_CLASS, which FitNesse skips.
    if (err instanceof MethodNotFoundError) throw new SlimFailure('NO_METHOD_IN_CLASS', `${method}[${args.length}] ${fixture.guest}.${fixture.className}: ${err.remoteMessage}`, { cause: err });
    throw new RemoteFixtureError(fixture.guest, `${fixture.className}.${method}`, err);
  }
}
