import { inspect } from 'node:util';
import { isProbe } from '../client/probes.js';
import type { Guest, GuestLibrary } from './guest.js';
import type { WaitCondition, WaitResult } from '../guestlib/types.js';
import { UnknownGuestError } from './errors.js';
import { named, RocError } from '../wire/errors.js';

export type GuestOutcome<T> =
  | { readonly guest: string; readonly endpoint: string; readonly ok: true; readonly value: T }
  | { readonly guest: string; readonly endpoint: string; readonly ok: false; readonly error: Error };

/** Some guests failed; `failures` names each with its error, `successes` keeps what worked. */
export class GroupError<T = unknown> extends RocError {
  static {
    named(this, 'GroupError');
  }
  readonly failures: readonly { guest: string; endpoint: string; error: Error }[];
  readonly successes: readonly { guest: string; endpoint: string; value: T }[];

  constructor(what: string, outcomes: readonly GuestOutcome<T>[]) {
    const failures = outcomes.filter((o): o is Extract<GuestOutcome<T>, { ok: false }> => !o.ok);
    const successes = outcomes.filter((o): o is Extract<GuestOutcome<T>, { ok: true }> => o.ok);
    const lines = failures.map((f) => `  ${f.guest} (${f.endpoint}): ${f.error.message}`);
    super(
      `${what} failed on ${failures.length} of ${outcomes.length} guests:\n${lines.join('\n')}` +
        (successes.length ? `\n  succeeded on: ${successes.map((s) => s.guest).join(', ')}` : ''),
    );
    this.failures = failures.map(({ guest, endpoint, error }) => ({ guest, endpoint, error }));
    this.successes = successes.map(({ guest, endpoint, value }) => ({ guest, endpoint, value }));
  }
}

/** What a call on a group gave, guest by guest. */
export class GroupResult<T> {
  readonly what: string;
  readonly outcomes: readonly GuestOutcome<T>[];

  constructor(what: string, outcomes: readonly GuestOutcome<T>[]) {
    this.what = what;
    this.outcomes = outcomes;
  }

  get ok(): boolean {
    return this.outcomes.every((o) => o.ok);
  }

  get failed(): string[] {
    return this.outcomes.filter((o) => !o.ok).map((o) => o.guest);
  }

  get succeeded(): string[] {
    return this.outcomes.filter((o) => o.ok).map((o) => o.guest);
  }

  /** Every value, in guest order; throws a GroupError naming each guest that failed. */
  get values(): T[] {
    this.throwIfFailed();
    return this.outcomes.map((o) => (o as { value: T }).value);
  }

  /** Values by guest name; throws a GroupError if any guest failed. */
  get byGuest(): Record<string, T> {
    this.throwIfFailed();
    return Object.fromEntries(this.outcomes.map((o) => [o.guest, (o as { value: T }).value]));
  }

  /** One guest's value, or its error thrown. */
  get(guest: string): T {
    const o = this.outcomes.find((x) => x.guest === guest);
    if (!o) {
      const known = this.outcomes.map((x) => x.guest);
      throw new UnknownGuestError(`${guest} is not in this group (${known.join(', ')})`, { selector: guest, known });
    }
    if (!o.ok) throw o.error;
    return o.value;
  }

  throwIfFailed(): this {
    if (!this.ok) throw new GroupError(this.what, this.outcomes);
    return this;
  }

  [inspect.custom](): string {
    return `GroupResult<${this.what}: ${this.outcomes.map((o) => `${o.guest} ${o.ok ? 'ok' : `failed: ${o.error.message}`}`).join('; ')}>`;
  }
}

/** A path of property reads ending in a call, run on every guest: `group.lib.files.read(p)`, `group.module.X(...)`. */
function fanOut(group: GuestGroup, root: 'lib' | 'module', path: string[] = []): unknown {
  const call = (...args: unknown[]): Promise<GroupResult<unknown>> =>
    group.map(`${root}.${path.join('.')}(...)`, (g) => {
      let target: any = g[root];
      for (const p of path.slice(0, -1)) target = target[p];
      return target[path[path.length - 1]!](...args);
    });
  return new Proxy(call, {
    get(_t, key) {
      if (isProbe(key)) return undefined;
      return fanOut(group, root, [...path, key as string]);
    },
  });
}

/** Several guests; calls on the group run on all of them at once and report per guest. */
export class GuestGroup {
  readonly selector: string;
  readonly members: readonly Guest[];

  constructor(selector: string, members: readonly Guest[]) {
    this.selector = selector;
    this.members = members;
  }

  get names(): string[] {
    return this.members.map((g) => g.name);
  }

  /** Runs fn on every guest in parallel; never rejects: failures are in the result, per guest. */
  async map<T>(what: string, fn: (guest: Guest) => Promise<T> | T): Promise<GroupResult<T>>;
  async map<T>(fn: (guest: Guest) => Promise<T> | T): Promise<GroupResult<T>>;
  async map<T>(
    a: string | ((guest: Guest) => Promise<T> | T),
    b?: (guest: Guest) => Promise<T> | T,
  ): Promise<GroupResult<T>> {
    const what = typeof a === 'string' ? a : 'the call';
    const fn = (typeof a === 'string' ? b : a)!;
    const outcomes = await Promise.all(
      this.members.map(async (g): Promise<GuestOutcome<T>> => {
        const endpoint = `${g.spec.host}:${g.spec.port}`;
        try {
          return { guest: g.name, endpoint, ok: true, value: await fn(g) };
        } catch (err) {
          return { guest: g.name, endpoint, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
        }
      }),
    );
    return new GroupResult(what, outcomes);
  }

  ping(options?: { timeout?: number }): Promise<GroupResult<Awaited<ReturnType<Guest['ping']>>>> {
    return this.map('ping()', (g) => g.ping(options));
  }

  waitUntilReady(options?: { timeout?: number; interval?: number }): Promise<GroupResult<unknown>> {
    return this.map('waitUntilReady()', (g) => g.waitUntilReady(options));
  }

  /** Every guest waits for the condition on its own machine, in parallel: a GroupResult of each one's outcome. */
  waitFor(condition: WaitCondition, options?: { timeout?: string | number }): Promise<GroupResult<WaitResult>> {
    return this.map('waitFor()', (g) => g.waitFor(condition, options));
  }

  /** `group.lib.command.run('uptime')` runs on every guest: a GroupResult. */
  get lib(): OnEveryGuest<GuestLibrary> {
    return fanOut(this, 'lib') as OnEveryGuest<GuestLibrary>;
  }

  /** `group.module.RemoteClass(1, 2, 3)` creates one instance per guest: a GroupResult of remote objects. */
  get module(): FanOut {
    return fanOut(this, 'module') as FanOut;
  }

  [inspect.custom](): string {
    return `GuestGroup<${this.selector}: ${this.names.join(', ')}>`;
  }
}

/** T's functions, each run on every guest of a group: a GroupResult of what each one's call resolved to. */
export type OnEveryGuest<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => Promise<GroupResult<R>>
    : OnEveryGuest<T[K]>;
};

/** Any path of names, then a call, giving a GroupResult. */
export interface FanOut {
  readonly [name: string]: FanOut & ((...args: unknown[]) => Promise<GroupResult<any>>);
}
