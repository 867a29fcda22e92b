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

interface Node {
  op: Operation;
  call: boolean;
  time: number;
  /** For a call: its return's node. */
  match: Node | undefined;
  prev: Node | undefined;
  next: Node | undefined;
}

/** Random 32-bit numbers, one per operation: a linearized set's hash is the XOR of its members' (Zobrist). */
function zobrist(n: number): Uint32Array {
  const z = new Uint32Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    // xorshift32: fixed, fast, good enough to spread the sets apart.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    z[i] = x >>> 0;
  }
  return z;
}

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Wing and Gong's search as Lowe made it practical, with the memo of
 * (linearized set, state) pairs seen that Porcupine uses: walk the history's
 * call and return events in time order, linearize a call whose operation the
 * model accepts (taking it and its return out of the list), and back up when
 * a return is reached before its call could be placed.
 */
function checkPart(model: Model, ops: readonly Operation[], deadline: number): Omit<CheckResult, 'model' | 'ms'> {
  const n = ops.length;
  if (n === 0) return { valid: true, ops: 0 };
  const local = ops.map((op, i) => ({ op, i }));
  const index = new Map<Operation, number>(local.map(({ op, i }) => [op, i]));
  const events: Node[] = [];
  for (const op of ops) {
    const ret: Node = { op, call: false, time: op.ret, match: undefined, prev: undefined, next: undefined };
    const call: Node = { op, call: true, time: op.call, match: ret, prev: undefined, next: undefined };
    events.push(call, ret);
  }
  // Time order; at the same time calls first, so operations that touch are taken as concurrent.
  events.sort((a, b) => a.time - b.time || (a.call === b.call ? 0 : a.call ? -1 : 1));
  const head: Node = { op: ops[0]!, call: false, time: -Infinity, match: undefined, prev: undefined, next: undefined };
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

  const words = Math.ceil(n / 32);
  const bits = new Uint32Array(words);
  const z = zobrist(n);
  let setHash = 0;
  // Registers hold numbers, strings and nulls: those hash and compare without JSON.
  const hashState = (s: unknown): number => {
    if (model.hash) {
      const h = model.hash(s);
      return typeof h === 'number' ? h >>> 0 : stringHash(h);
    }
    if (typeof s === 'number') return (Number.isInteger(s) ? s : stringHash(String(s))) >>> 0;
    if (typeof s === 'string') return stringHash(s);
    if (s === null || s === undefined) return 0x9e3779b9;
    return stringHash(canonical(s));
  };
  const equal =
    model.equal ??
    ((a: unknown, b: unknown) =>
      a === b || (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && canonical(a) === canonical(b)));
  const memo = new Map<number, { bits: Uint32Array; state: unknown }[]>();
  const seen = (b: Uint32Array, state: unknown, key: number): boolean => {
    const bucket = memo.get(key);
    if (!bucket) return false;
    outer: for (const m of bucket) {
      for (let w = 0; w < words; w++) if (m.bits[w] !== b[w]) continue outer;
      if (equal(m.state, state)) return true;
    }
    return false;
  };

  const calls: { node: Node; state: unknown }[] = [];
  let state = model.init();
  let entry = head.next;
  let best: { prefix: Operation[]; op: Operation; states: unknown[] } | undefined;
  let steps = 0;
  while (head.next) {
    if ((++steps & 1023) === 0 && Date.now() > deadline) return { valid: 'unknown', ops: n, reason: 'timeout' };
    if (!entry) break;
    if (entry.call) {
      const r = model.step(state, entry.op.f, entry.op.input, entry.op.output);
      if (r.ok) {
        const i = index.get(entry.op)!;
        bits[i >>> 5]! |= 1 << (i & 31);
        const key = (setHash ^ z[i]! ^ hashState(r.state)) >>> 0;
        if (!seen(bits, r.state, key)) {
          let bucket = memo.get(key);
          if (!bucket) memo.set(key, (bucket = []));
          bucket.push({ bits: bits.slice(), state: r.state });
          calls.push({ node: entry, state });
          setHash = (setHash ^ z[i]!) >>> 0;
          state = r.state;
          lift(entry);
          entry = head.next;
          continue;
        }
        bits[i >>> 5]! &= ~(1 << (i & 31));
      }
      entry = entry.next;
      continue;
    }
    // A return before its call could be placed: this prefix cannot go on. Remember the longest one.
    if (!best || calls.length > best.prefix.length)
      best = { prefix: calls.map((c) => c.node.op), op: entry.op, states: [state] };
    else if (calls.length === best.prefix.length && best.states.length < 5 && !best.states.some((s) => equal(s, state)))
      best.states.push(state);
    const top = calls.pop();
    if (!top) return { valid: false, ops: n, op: best.op, prefix: best.prefix, states: best.states };
    const i = index.get(top.node.op)!;
    bits[i >>> 5]! &= ~(1 << (i & 31));
    setHash = (setHash ^ z[i]!) >>> 0;
    state = top.state;
    unlift(top.node);
    entry = top.node.next;
  }
  return { valid: true, ops: n };
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
  for (const [part, partOps] of parts) {
    const r = checkPart(model, partOps, deadline);
    const result: CheckResult = { ...r, model: model.name, ms: Date.now() - started };
    if (model.partition) result.part = part;
    if (r.valid === false) return { ...result, ops: ops.length };
    if (r.valid === 'unknown') unknown ??= result;
    // Let the event loop breathe between parts: a long check does not starve the process.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (unknown) return { ...unknown, ops: ops.length, ms: Date.now() - started };
  return { valid: true, model: model.name, ops: ops.length, ms: Date.now() - started };
}

const isOperations = (h: readonly unknown[]): h is readonly Operation[] =>
  h.length > 0 && typeof (h[0] as Operation).call === 'number' && 'ret' in (h[0] as object);
