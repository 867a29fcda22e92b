import { operationsOf, type HistoryEvent, type Operation } from './history.js';
import { canonical, type Model } from './models.js';

/** A checker's verdict, as Maelstrom and Jepsen give it: true, false, or 'unknown' when it ran out of time. */
export interface CheckResult {
  valid: true | false | 'unknown';
  model: string;
  /** Operations checked (fails dropped). */
  ops: number;
  /** When invalid: the operation that cannot be placed after the longest linearizable prefix found. */
  op?: Operation;
  /** When invalid: that prefix, in the order it was linearized. */
  prefix?: Operation[];
  /** When invalid: the states the operation could have seen after it (a few). */
  states?: unknown[];
  /** When invalid, for a partitioned model: the part (a key-value store's key). */
  part?: string;
  /** Why the verdict is 'unknown'. */
  reason?: string;
  ms: number;
}

export interface CheckOptions {
  /** Give up after this long, with 'unknown' (default 60 s). */
  timeout?: number;
}

/** A linearization so far, shared between the configurations that extend it (a persistent list). */
interface Trace {
  readonly op: Operation;
  readonly prev: Trace | undefined;
}

/** One way the history so far can have gone: a state, and which open operations already took effect. */
interface Config {
  state: unknown;
  /** Open operations linearized already: a bit per slot. */
  done: number;
  trace: Trace | undefined;
}

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A state's 32-bit hash: the model's, else registers' numbers, strings and nulls without JSON, else canonical JSON's. */
function stateHasher(model: Model): (s: unknown) => number {
  return (s) => {
    if (model.hash) {
      const h = model.hash(s);
      return typeof h === 'number' ? h >>> 0 : stringHash(h);
    }
    if (typeof s === 'number') return (Number.isInteger(s) ? s : stringHash(String(s))) >>> 0;
    if (typeof s === 'string') return stringHash(s);
    if (s === null || s === undefined) return 0x9e3779b9;
    return stringHash(canonical(s));
  };
}

/** State equality: the model's, else identity or the same canonical JSON. */
function stateEquality(model: Model): (a: unknown, b: unknown) => boolean {
  return (
    model.equal ??
    ((a, b) =>
      a === b ||
      (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && canonical(a) === canonical(b)))
  );
}

const traceOps = (t: Trace | undefined): Operation[] => {
  const out: Operation[] = [];
  for (let x = t; x; x = x.prev) out.push(x.op);
  return out.reverse();
};

/**
 * Lowe's just-in-time linearization (Knossos's linear algorithm): walk the
 * history's calls and returns in time order, keeping every configuration the
 * history can be in (a state, and which open operations took effect). At an
 * operation's return every configuration must have linearized it, if need be
 * after other open operations: those that can are kept, the others dropped.
 * When none is left, that operation is the one that cannot be placed, and
 * the configurations just before it say what it could have seen. The work
 * is bounded by the operations open at once, not by the history's length,
 * so a violation is found as soon as its operation returns.
 */
function* jit(model: Model, ops: readonly Operation[]): Search {
  const n = ops.length;
  if (n === 0) return { valid: true, ops: 0 };
  const hashState = stateHasher(model);
  const equal = stateEquality(model);
  /**
   * Configurations by (state, done), exactly. Most frontiers hold a handful:
   * those are a list searched in turn; past 32, a numeric hash leads to a
   * bucket first.
   */
  class Configs {
    readonly list: Config[] = [];
    #buckets: Map<number, Config[]> | undefined;
    get size(): number {
      return this.list.length;
    }
    #key(c: Config): number {
      return (hashState(c.state) ^ Math.imul(c.done, 0x9e3779b1)) >>> 0;
    }
    /** Adds c unless an equal configuration is there; true when added. */
    add(c: Config): boolean {
      const list = this.list;
      if (!this.#buckets) {
        for (let i = 0; i < list.length; i++) {
          const x = list[i]!;
          if (x.done === c.done && (x.state === c.state || equal(x.state, c.state))) return false;
        }
        list.push(c);
        if (list.length > 32) {
          this.#buckets = new Map();
          for (const x of list) {
            const key = this.#key(x);
            const bucket = this.#buckets.get(key);
            if (bucket) bucket.push(x);
            else this.#buckets.set(key, [x]);
          }
        }
        return true;
      }
      const key = this.#key(c);
      const bucket = this.#buckets.get(key);
      if (bucket) {
        for (const x of bucket) if (x.done === c.done && equal(x.state, c.state)) return false;
        bucket.push(c);
      } else this.#buckets.set(key, [c]);
      list.push(c);
      return true;
    }
  }
  interface Event {
    op: Operation;
    call: boolean;
    time: number;
  }
  const events: Event[] = [];
  for (const op of ops) {
    events.push({ op, call: true, time: op.call });
    // An operation whose outcome is unknown never returns: it may take effect any time, or never.
    if (op.type === 'ok') events.push({ op, call: false, time: op.ret });
  }
  // Time order; at the same time calls first, so operations that touch are taken as concurrent.
  events.sort((a, b) => a.time - b.time || (a.call === b.call ? 0 : a.call ? -1 : 1));

  const slotOf = new Map<Operation, number>();
  const bySlot: (Operation | undefined)[] = [];
  const free: number[] = [];
  let frontier: Config[] = [{ state: model.init(), done: 0, trace: undefined }];
  let steps = 0;
  for (const e of events) {
    yield;
    if (e.call) {
      const slot = free.length ? free.pop()! : bySlot.length;
      // Open operations are a bit each: past 31 open at once (many of unknown outcome) this search gives way.
      if (slot > 30) return { valid: 'unknown', ops: n, reason: 'too many operations open at once' };
      bySlot[slot] = e.op;
      slotOf.set(e.op, slot);
      continue;
    }
    const target = slotOf.get(e.op)!;
    // Every configuration that can linearize the returning operation, after any open operations before it.
    const next = new Configs();
    const seen = new Configs();
    const queue: Config[] = [];
    for (const c of frontier) if (seen.add(c)) queue.push(c);
    for (let qi = 0; qi < queue.length; qi++) {
      if ((++steps & 1023) === 0) yield;
      const c = queue[qi]!;
      if (c.done & (1 << target)) {
        // Linearized already, before an earlier return: it leaves the open operations as it is.
        next.add({ state: c.state, done: c.done & ~(1 << target), trace: c.trace });
        continue;
      }
      for (let slot = 0; slot < bySlot.length; slot++) {
        const op = bySlot[slot];
        if (!op || c.done & (1 << slot)) continue;
        const r = model.step(c.state, op.f, op.input, op.output);
        if (!r.ok) continue;
        const trace: Trace = { op, prev: c.trace };
        if (slot === target) {
          // It took effect: it leaves the open operations.
          next.add({ state: r.state, done: c.done, trace });
          continue;
        }
        const grown: Config = { state: r.state, done: c.done | (1 << slot), trace };
        if (seen.add(grown)) queue.push(grown);
      }
    }
    if (next.size === 0) {
      const states: unknown[] = [];
      for (const c of frontier) if (states.length < 5 && !states.some((x) => equal(x, c.state))) states.push(c.state);
      return { valid: false, ops: n, op: e.op, prefix: traceOps(frontier[0]!.trace), states };
    }
    bySlot[target] = undefined;
    slotOf.delete(e.op);
    free.push(target);
    frontier = next.list;
  }
  return { valid: true, ops: n };
}

interface Node {
  op: Operation;
  /** The operation's position in the part being checked: its bit in the linearized set. */
  i: number;
  call: boolean;
  time: number;
  /** For a call: its return's node. */
  match: Node | undefined;
  prev: Node | undefined;
  next: Node | undefined;
}

/** Random 32-bit numbers, one per operation: a linearized set's hash is the XOR of its members' (Zobrist). */
function zobrist(n: number, seed: number): Uint32Array {
  const z = new Uint32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    // xorshift32: fixed, fast, good enough to spread the sets apart.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    z[i] = x >>> 0;
  }
  return z;
}

/** A linearized call on the search's stack; each frame links to the one below, so a prefix is kept in O(1). */
interface Frame {
  readonly node: Node;
  /** The state before it. */
  readonly state: unknown;
  readonly below: Frame | undefined;
  readonly depth: number;
}

const framesOps = (top: Frame | undefined): Operation[] => {
  const out: Operation[] = [];
  for (let f = top; f; f = f.below) out.push(f.node.op);
  return out.reverse();
};

/**
 * Wing and Gong's search as Lowe made it practical, with the memo of
 * (linearized set, state) pairs seen that Porcupine uses: walk the history's
 * call and return events in time order, linearize a call whose operation the
 * model accepts (taking it and its return out of the list), and back up when
 * a return is reached before its call could be placed.
 *
 * `exact: false` remembers each linearized set by a 64-bit fingerprint (two
 * Zobrist hashes) instead of a copy of its bits, as TLC remembers states:
 * a step costs O(1) instead of O(operations / 32). A fingerprint collision
 * can only make the search skip a configuration it has not seen, never
 * invent a linearization: a `valid` answer is a linearization found, and
 * holds; an `invalid` one is confirmed by the exact search (compete does).
 */
function* wgl(model: Model, ops: readonly Operation[], exact: boolean): Search {
  const n = ops.length;
  if (n === 0) return { valid: true, ops: 0 };
  const events: Node[] = [];
  ops.forEach((op, i) => {
    const ret: Node = { op, i, call: false, time: op.ret, match: undefined, prev: undefined, next: undefined };
    const call: Node = { op, i, call: true, time: op.call, match: ret, prev: undefined, next: undefined };
    events.push(call, ret);
  });
  // Time order; at the same time calls first, so operations that touch are taken as concurrent.
  events.sort((a, b) => a.time - b.time || (a.call === b.call ? 0 : a.call ? -1 : 1));
  const head: Node = {
    op: ops[0]!,
    i: -1,
    call: false,
    time: -Infinity,
    match: undefined,
    prev: undefined,
    next: undefined,
  };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  const lift = (call: Node): void => {
    call.prev!.next = call.next;
    if (call.next) call.next.prev = call.prev;
    const ret = call.match!;
    ret.prev!.next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  };
  const unlift = (call: Node): void => {
    const ret = call.match!;
    ret.prev!.next = ret;
    if (ret.next) ret.next.prev = ret;
    call.prev!.next = call;
    if (call.next) call.next.prev = call;
  };

  const words = exact ? Math.ceil(n / 32) : 0;
  const bits = new Uint32Array(words);
  const z = zobrist(n, 0x9e3779b9);
  const z2 = zobrist(n, 0x7f4a7c15);
  let setHash = 0;
  let setHash2 = 0;
  const hashState = stateHasher(model);
  const equal = stateEquality(model);
  /** A remembered configuration; those whose keys collide are chained (most keys hold one). */
  interface Remembered {
    readonly bits: Uint32Array | undefined;
    readonly fingerprint: number;
    readonly state: unknown;
    readonly next: Remembered | undefined;
  }
  const memo = new Map<number, Remembered>();
  const seen = (fingerprint: number, state: unknown, key: number): boolean => {
    outer: for (let m = memo.get(key); m; m = m.next) {
      if (m.fingerprint !== fingerprint) continue;
      if (exact) for (let w = 0; w < words; w++) if (m.bits![w] !== bits[w]) continue outer;
      if (equal(m.state, state)) return true;
    }
    return false;
  };

  let remembered = 0;
  let top: Frame | undefined;
  let state = model.init();
  let entry = head.next;
  let best: { top: Frame | undefined; op: Operation; states: unknown[] } | undefined;
  let steps = 0;
  while (head.next) {
    if ((++steps & 1023) === 0) yield;
    if (!entry) break;
    if (entry.call) {
      const r = model.step(state, entry.op.f, entry.op.input, entry.op.output);
      if (r.ok) {
        const i = entry.i;
        if (exact) bits[i >>> 5]! |= 1 << (i & 31);
        const stateHash = hashState(r.state);
        const key = (setHash ^ z[i]! ^ stateHash) >>> 0;
        const fingerprint = (setHash2 ^ z2[i]! ^ Math.imul(stateHash, 0x85ebca6b)) >>> 0;
        if (!seen(fingerprint, r.state, key)) {
          memo.set(key, { bits: exact ? bits.slice() : undefined, fingerprint, state: r.state, next: memo.get(key) });
          // Past this many remembered configurations the history is most likely not linearizable and this
          // search would only fill memory proving it: it gives way to the just-in-time search.
          if (++remembered > MEMO_LIMIT) return { valid: 'unknown', ops: n, reason: 'memo' };
          top = { node: entry, state, below: top, depth: (top?.depth ?? 0) + 1 };
          setHash = (setHash ^ z[i]!) >>> 0;
          setHash2 = (setHash2 ^ z2[i]!) >>> 0;
          state = r.state;
          lift(entry);
          entry = head.next;
          continue;
        }
        if (exact) bits[i >>> 5]! &= ~(1 << (i & 31));
      }
      entry = entry.next;
      continue;
    }
    // A return before its call could be placed: this prefix cannot go on. Remember the longest one.
    const depth = top?.depth ?? 0;
    const bestDepth = best?.top?.depth ?? 0;
    if (!best || depth > bestDepth) best = { top, op: entry.op, states: [state] };
    else if (depth === bestDepth && best.states.length < 5 && !best.states.some((s) => equal(s, state)))
      best.states.push(state);
    if (!top) return { valid: false, ops: n, op: best.op, prefix: framesOps(best.top), states: best.states };
    const done = top;
    top = done.below;
    const i = done.node.i;
    if (exact) bits[i >>> 5]! &= ~(1 << (i & 31));
    setHash = (setHash ^ z[i]!) >>> 0;
    setHash2 = (setHash2 ^ z2[i]!) >>> 0;
    state = done.state;
    unlift(done.node);
    entry = done.node.next;
  }
  return { valid: true, ops: n };
}

/** The depth-first search's memo holds at most this many configurations (a few hundred MB at 10,000 operations). */
const MEMO_LIMIT = 100_000;

/** A search that yields now and then, so that two can take turns. */
type Search = Generator<void, Omit<CheckResult, 'model' | 'ms'>, void>;

/**
 * Both searches in turns, as Knossos's competition checker runs its two:
 * the first to answer decides. Wing-Gong-Lowe's depth-first search finds a
 * valid history's linearization at once, even with many operations of
 * unknown outcome; the just-in-time search finds a violation as soon as its
 * operation returns, however long the history before it.
 */
function compete(model: Model, ops: readonly Operation[], deadline: number): Omit<CheckResult, 'model' | 'ms'> {
  const fast = wgl(model, ops, false);
  let searches = [fast, jit(model, ops)];
  // The fingerprinted search said invalid: the just-in-time search, exact, confirms it, or, when it gives
  // way, the exact depth-first search does.
  let unconfirmed = false;
  // The depth-first search alone first: most histories are valid, and it answers those soonest.
  let headStart = Math.min(Date.now() + 500, deadline);
  for (;;) {
    for (const search of searches) {
      const slice = Math.max(Date.now() + 20, headStart);
      headStart = 0;
      for (;;) {
        const r = search.next();
        if (r.done && r.value.valid === false && search === fast) {
          unconfirmed = true;
          searches = searches.filter((s) => s !== search);
          if (searches.length === 0) searches = [wgl(model, ops, true)];
          break;
        }
        if (r.done && r.value.valid === 'unknown') {
          // This one gave way: the other goes on alone.
          searches = searches.filter((s) => s !== search);
          if (unconfirmed) searches.push(wgl(model, ops, true));
          unconfirmed = false;
          if (searches.length === 0) return r.value;
          break;
        }
        if (r.done) return r.value;
        if (Date.now() > slice) break;
      }
    }
    if (Date.now() > deadline) return { valid: 'unknown', ops: ops.length, reason: 'timeout' };
  }
}

/**
 * Whether a history is linearizable with respect to a model: its
 * operations can be put in one order, each at an instant between its invoke
 * and its completion (an `info` one any time after its invoke, or never),
 * that the model accepts. A model with a partition (a key-value store) is
 * checked part by part. Resolves with the verdict; 'unknown' when `timeout`
 * ran out first.
 */
export async function check(
  history: readonly HistoryEvent[] | readonly Operation[],
  model: Model,
  options: CheckOptions = {},
): Promise<CheckResult> {
  const started = Date.now();
  const deadline = started + (options.timeout ?? 60_000);
  const all = isOperations(history) ? [...history] : operationsOf(history);
  // A read whose answer never came constrains nothing: searching its places would only multiply the work.
  const pure = new Set(model.pure ?? []);
  const ops = all.filter((op) => !(op.type === 'info' && pure.has(op.f)));
  const parts = model.partition ? model.partition(ops) : new Map([['', ops]]);
  let unknown: CheckResult | undefined;
  let breathed = Date.now();
  for (const [part, partOps] of parts) {
    const r = compete(model, partOps, deadline);
    const result: CheckResult = { ...r, model: model.name, ms: Date.now() - started };
    if (model.partition) result.part = part;
    if (r.valid === false) return { ...result, ops: ops.length };
    if (r.valid === 'unknown') unknown ??= result;
    // Let the event loop breathe between parts now and then: a long check does not starve the process.
    if (Date.now() - breathed > 20) {
      await new Promise((resolve) => setImmediate(resolve));
      breathed = Date.now();
    }
  }
  if (unknown) return { ...unknown, ops: ops.length, ms: Date.now() - started };
  return { valid: true, model: model.name, ops: ops.length, ms: Date.now() - started };
}

const isOperations = (h: readonly unknown[]): h is readonly Operation[] =>
  h.length > 0 && typeof (h[0] as Operation).call === 'number' && 'ret' in (h[0] as object);
