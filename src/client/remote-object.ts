import { inspect } from 'node:util';
import { type XmlRpcStruct } from '../wire/index.js';
import { ITERATOR_CLASS, ITERATOR_LIMITS, makeRef, type IteratorBatch } from '../protocol/index.js';
import { ReleasedProxyError, StaleHandleError, UnknownHandleError } from './errors.js';
import { answerProbe, isProbe, type LocalView } from './probes.js';
import type { ServerProxy } from './server-proxy.js';

/** What a remote object proxy knows of itself; read it with `remoteInfo(obj)`. */
export interface RemoteInfo {
  readonly handle: string;
  readonly className: string;
  readonly server: ServerProxy;
  readonly released: boolean;
}

interface State {
  readonly server: ServerProxy;
  readonly handle: string;
  readonly className: string;
  released: boolean;
  /** For an iterator handle: iteration has begun (it can be iterated once). */
  iterating?: boolean;
}

const states = new WeakMap<object, State>();

// A proxy the program dropped without releasing: tell the agent, so its
// object table does not grow for the life of the test run.
const collected = new FinalizationRegistry<{ server: ServerProxy; handle: string }>(({ server, handle }) => {
  server.lease?.drop();
  server.releaseHandle(handle).catch(() => {
    // The agent may be gone or restarted; either way the object is gone.
  });
});

function releasedError(state: State, member: string): ReleasedProxyError {
  return new ReleasedProxyError(state.server.site(`${state.handle}.${member}`), state.handle);
}

function makeMember(state: State, name: string): unknown {
  const method = `${state.handle}.${name}`;
  const member = (...args: unknown[]): Promise<unknown> =>
    state.released ? Promise.reject(releasedError(state, name)) : state.server.callWith(method, args);
  // `await obj.attr` reads the attribute: the member is a thenable too.
  member.then = (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown): Promise<unknown> => {
    const read = state.released
      ? Promise.reject(releasedError(state, name))
      : state.server.callWith('getattr', [state.handle, name]);
    return read.then(onFulfilled, onRejected);
  };
  return member;
}

/** A local stand-in for an object that lives on an agent. Every method call runs there. */
export function makeRemoteObject(server: ServerProxy, handle: string, className: string): object {
  const state: State = { server, handle, className, released: false };
  const members = new Map<string, unknown>();
  const describe = (): string =>
    `RemoteObject<${className} ${handle} on ${server.guest ? `${server.guest} ` : ''}${server.endpoint}${state.released ? ', released' : ''}>`;
  // util.inspect looks through a Proxy at its target, so the target carries the custom view.
  const target = Object.create(null) as Record<symbol, unknown>;
  target[inspect.custom] = describe;
  const view: LocalView = {
    describe,
    json: () => ({
      remoteObject: className,
      handle,
      guest: server.guest ?? null,
      endpoint: server.endpoint,
      released: state.released,
    }),
    tag: 'RemoteObject',
  };
  const proxy = new Proxy(target, {
    get(_target, key) {
      if (key === Symbol.asyncDispose) return () => releaseState(state).then(() => undefined);
      if (key === Symbol.asyncIterator && className === ITERATOR_CLASS) return () => pullIterator(state, proxy);
      // Probes (then, toJSON, asymmetricMatch, symbols, ...) are answered here: `await create()` yields
      // the proxy itself, and nothing a library looks for becomes a call to the agent.
      if (isProbe(key)) return answerProbe(key, view);
      let member = members.get(key as string);
      if (!member) {
        member = makeMember(state, key as string);
        members.set(key as string, member);
      }
      return member;
    },
    set(_target, key) {
      throw new TypeError(
        `cannot assign ${String(key)} on ${describe()} synchronously; use await setAttribute(obj, ${JSON.stringify(String(key))}, value)`,
      );
    },
    has(_target, key) {
      return !isProbe(key);
    },
  });
  states.set(proxy, state);
  collected.register(proxy, { server, handle }, state);
  server.lease?.hold();
  return proxy;
}

/**
 * `for await` over an async iterable served by the agent: batches pulled
 * one call at a time, each waiting a bounded time for the agent's first
 * item (a long poll within the proxy's call deadline). `break` or a throw
 * in the loop ends it on the agent at once.
 */
function pullIterator(state: State, owner: object): AsyncIterator<unknown> {
  if (state.iterating)
    throw new TypeError(`${state.handle} is being iterated already: a remote iterator can be iterated once`);
  state.iterating = true;
  const waitMs = Math.max(50, Math.min(ITERATOR_LIMITS.maxWaitMs, Math.floor(state.server.timeout / 2)));
  let items: unknown[] = [];
  let at = 0;
  let done = false;
  // The agent freed the handle itself (the source ended or threw): nothing to release any more.
  const ended = (): void => {
    done = true;
    state.released = true;
    collected.unregister(state);
    state.server.lease?.drop();
  };
  const iterator: AsyncIterator<unknown> & { readonly owner: object } = {
    // The loop holds the iterator, not the iterable it came from: keep that alive, or its collection
    // would release the handle on the agent in the middle of the loop.
    owner,
    async next(): Promise<IteratorResult<unknown>> {
      while (at >= items.length && !done) {
        if (state.released) throw releasedError(state, 'next');
        let batch: IteratorBatch;
        try {
          batch = await state.server.callWith<IteratorBatch>(`${state.handle}.next`, [ITERATOR_LIMITS.batch, waitMs]);
        } catch (err) {
          // A pull that failed (a deadline, a lost answer) may have left the source running on the agent: end it
          // there too, without holding up the error (a source the agent already freed makes this a no-op).
          void state.server.callWith(`${state.handle}.return`, []).catch(() => undefined);
          ended();
          throw err;
        }
        items = batch.items;
        at = 0;
        if (batch.done) ended();
      }
      if (at < items.length) return { value: items[at++], done: false };
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<unknown>> {
      if (!done) {
        done = true;
        await releaseState(state, 'return');
      }
      return { value: undefined, done: true };
    },
  };
  return iterator;
}

function stateOf(obj: unknown, what: string): State {
  const state = typeof obj === 'object' && obj !== null ? states.get(obj) : undefined;
  if (!state)
    throw new TypeError(
      `${what} takes a remote object (made by remoteModule or returned by a remote call), got ${inspect(obj, { depth: 0 })}`,
    );
  return state;
}

async function releaseState(state: State, via: 'release' | 'return' = 'release'): Promise<boolean> {
  if (state.released) return false;
  state.released = true;
  collected.unregister(state);
  state.server.lease?.drop();
  try {
    // An iterator ends through its own return(), so the source's cleanup (a finally, a closed file) runs.
    if (via === 'return' || state.className === ITERATOR_CLASS)
      return await state.server.callWith<boolean>(`${state.handle}.return`, []);
    return await state.server.releaseHandle(state.handle);
  } catch (err) {
    if (err instanceof StaleHandleError || err instanceof UnknownHandleError) return false;
    throw err;
  }
}

/**
 * Frees the object on the agent. Resolves with false when it was already
 * released (or the agent restarted and it is gone). Later use of the proxy
 * fails locally with ReleasedProxyError.
 */
export function release(obj: unknown): Promise<boolean> {
  try {
    return releaseState(stateOf(obj, 'release()'));
  } catch (err) {
    return Promise.reject(err);
  }
}

export function isRemote(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && states.has(obj);
}

export function remoteInfo(obj: unknown): RemoteInfo {
  const s = stateOf(obj, 'remoteInfo()');
  return { handle: s.handle, className: s.className, server: s.server, released: s.released };
}

/**
 * Calls a remote method by name, for the names a remote object answers
 * locally (toString, toJSON, valueOf, then, ...): `invoke(obj, 'toString')`.
 */
export function invoke<T = unknown>(obj: unknown, name: string, ...args: unknown[]): Promise<T> {
  try {
    const s = stateOf(obj, 'invoke()');
    if (s.released) return Promise.reject(releasedError(s, name));
    return s.server.callWith(`${s.handle}.${name}`, args);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Reads an attribute, like `await obj.name`, for names the proxy cannot carry (such as `then`). */
export function getAttribute<T = unknown>(obj: unknown, name: string): Promise<T> {
  try {
    const s = stateOf(obj, 'getAttribute()');
    if (s.released) return Promise.reject(releasedError(s, name));
    return s.server.callWith('getattr', [s.handle, name]);
  } catch (err) {
    return Promise.reject(err);
  }
}

export async function setAttribute(obj: unknown, name: string, value: unknown): Promise<void> {
  const s = stateOf(obj, 'setAttribute()');
  if (s.released) throw releasedError(s, name);
  await s.server.callWith('setattr', [s.handle, name, value]);
}

/** The wire form of a remote object passed back as an argument to its own agent. */
export function refOf(obj: object, server: ServerProxy): XmlRpcStruct | undefined {
  const state = states.get(obj);
  if (!state) return undefined;
  if (state.released) throw new TypeError(`cannot pass ${state.handle}: it was released`);
  if (state.server !== server && state.server.endpoint !== server.endpoint) {
    throw new TypeError(
      `cannot pass ${state.handle} to ${server.endpoint}: it lives on ${state.server.endpoint}, and objects cannot move between agents`,
    );
  }
  return makeRef(state.handle, state.className);
}
