import type { Operation } from './history.js';

/**
 * A sequential specification: what each operation does to the state, and
 * whether its answer could come from that state. `output` is undefined for
 * an operation whose outcome is unknown (an `info`): it may have happened.
 */
export interface Model<S = unknown> {
  readonly name: string;
  init(): S;
  step(state: S, f: string, input: unknown, output: unknown): { ok: boolean; state: S };
  /** State equality for the search's memo (default: same canonical JSON). */
  equal?(a: S, b: S): boolean;
  /** A hash of a state, consistent with equal (default: its canonical JSON). */
  hash?(state: S): string | number;
  /** Independent parts of a history, checked apart (P-compositionality): a key-value store per key. */
  partition?(ops: readonly Operation[]): Map<string, Operation[]>;
  /** How a state reads in a report (default: JSON). */
  describe?(state: S): string;
  /**
   * Operations that never change the state (reads): one whose outcome is
   * unknown constrains nothing and is left out of the search, as Knossos does.
   */
  readonly pure?: readonly string[];
}

/** JSON with object keys sorted: one spelling per value, for equality and hashing. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value as object).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

export const same = (a: unknown, b: unknown): boolean =>
  a === b ||
  (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && canonical(a) === canonical(b));

const unknownOp = (model: string, f: string): never => {
  throw new TypeError(`the ${model} model has no operation ${JSON.stringify(f)}`);
};

/** A register's read and write, for the register models; `name` says whose operation was unknown. */
function readWrite(
  name: string,
  state: unknown,
  f: string,
  input: unknown,
  output: unknown,
): { ok: boolean; state: unknown } {
  if (f === 'read') return { ok: output === undefined || same(output, state), state };
  if (f === 'write') return { ok: true, state: input };
  return unknownOp(name, f);
}

/** A read/write register. */
export function register(options: { initial?: unknown } = {}): Model<unknown> {
  const initial = options.initial ?? null;
  return {
    name: 'register',
    pure: ['read'],
    init: () => initial,
    step: (state, f, input, output) => readWrite('register', state, f, input, output),
  };
}

/**
 * A compare-and-set register: read, write, and `cas` with value `[from,
 * to]`, `ok` when it swapped (a `fail` did not happen, so it is not here).
 * A cas whose outcome is unknown swaps when it can and otherwise did nothing.
 */
export function casRegister(options: { initial?: unknown } = {}): Model<unknown> {
  const initial = options.initial ?? null;
  return {
    name: 'cas-register',
    pure: ['read'],
    init: () => initial,
    step(state, f, input, output) {
      if (f === 'cas') {
        if (!Array.isArray(input) || input.length !== 2)
          throw new TypeError(`a cas takes [from, to], got ${JSON.stringify(input)}`);
        const [from, to] = input as [unknown, unknown];
        if (same(state, from)) return { ok: true, state: to };
        return { ok: output === undefined, state };
      }
      return readWrite('cas-register', state, f, input, output);
    },
  };
}

const keyOf = (value: unknown): string => {
  if (!Array.isArray(value) || value.length < 1)
    throw new TypeError(`a key-value operation's value is [key, value], got ${JSON.stringify(value)}`);
  return canonical(value[0]);
};

/**
 * A key-value store of cas registers, one per key; values are `[key, v]`
 * (a cas's v is `[from, to]`). Keys are independent, so a history is split
 * by key and each part checked on its own.
 */
export function kv(options: { initial?: unknown } = {}): Model<unknown> {
  const inner = casRegister(options);
  const part = (v: unknown): unknown => (Array.isArray(v) ? v[1] : undefined);
  return {
    name: 'kv',
    pure: ['read'],
    init: inner.init,
    step: (state, f, input, output) =>
      inner.step(state, f, part(input), output === undefined ? undefined : part(output)),
    partition(ops) {
      const parts = new Map<string, Operation[]>();
      for (const op of ops) {
        const key = keyOf(op.input);
        let list = parts.get(key);
        if (!list) parts.set(key, (list = []));
        list.push(op);
      }
      return parts;
    },
  };
}

/** A set: `add` of an element, `read` of the whole set (as a list, in any order). */
export function set(): Model<readonly unknown[]> {
  const sorted = (xs: readonly unknown[]): string[] => [...new Set(xs.map(canonical))].sort();
  return {
    name: 'set',
    pure: ['read'],
    init: () => [],
    step(state, f, input, output) {
      if (f === 'add') {
        const key = canonical(input);
        return { ok: true, state: state.some((x) => canonical(x) === key) ? state : [...state, input] };
      }
      if (f === 'read') {
        if (output === undefined) return { ok: true, state };
        if (!Array.isArray(output)) return { ok: false, state };
        return { ok: sorted(output).join('\u0000') === sorted(state).join('\u0000'), state };
      }
      return unknownOp('set', f);
    },
    hash: (state) => sorted(state).join('\u0000'),
    equal: (a, b) => sorted(a).join('\u0000') === sorted(b).join('\u0000'),
  };
}

/** A counter: `add` of a number (default 1), `read` of its value. */
export function counter(options: { initial?: number } = {}): Model<number> {
  return {
    name: 'counter',
    pure: ['read'],
    init: () => options.initial ?? 0,
    step(state, f, input, output) {
      if (f === 'add') return { ok: true, state: state + (typeof input === 'number' ? input : 1) };
      if (f === 'read') return { ok: output === undefined || output === state, state };
      return unknownOp('counter', f);
    },
    hash: (s) => s,
    equal: (a, b) => a === b,
  };
}

export const models = { register, casRegister, kv, set, counter };
