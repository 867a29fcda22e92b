/**
 * Histories linearizable by construction: clients drive a real register (or
 * key-value store) through a random schedule; each operation takes effect
 * at one instant between its invoke and its completion, as a real system
 * would. Some end `info` (the client gave up: the effect may or may not have
 * happened), some cas `fail` (the compare did not match).
 */
import type { HistoryEvent } from '../../src/history/index.js';

export interface GenOptions {
  ops: number;
  processes: number;
  /** Share of operations that end info (0-1). */
  infoRate?: number;
  /** Keys, for a key-value history; none: one register. */
  keys?: number;
  seed?: number;
  /** Operations to draw from. */
  fs?: readonly ('read' | 'write' | 'cas')[];
}

export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export function generate(options: GenOptions): HistoryEvent[] {
  const random = rng(options.seed ?? 1);
  const fs = options.fs ?? ['read', 'write', 'cas'];
  const store = new Map<number, number | null>();
  const events: HistoryEvent[] = [];
  let time = 0;
  let left = options.ops;
  let nextProcess = options.processes;
  interface Running {
    process: number;
    f: 'read' | 'write' | 'cas';
    key: number | undefined;
    arg: number | [number, number] | null;
    applied: boolean;
    result: unknown;
    info: boolean;
  }
  const running = new Map<number, Running>();
  const idle = Array.from({ length: options.processes }, (_, i) => i);
  const wrap = (key: number | undefined, v: unknown): unknown => (key === undefined ? v : [key, v]);
  while (left > 0 || running.size > 0) {
    time += 1 + Math.floor(random() * 3);
    const choice = random();
    const pending = [...running.values()];
    if (left > 0 && idle.length > 0 && (choice < 0.4 || pending.length === 0)) {
      const process = idle.splice(Math.floor(random() * idle.length), 1)[0]!;
      const f = fs[Math.floor(random() * fs.length)]!;
      const key = options.keys ? Math.floor(random() * options.keys) : undefined;
      const arg: Running['arg'] =
        f === 'read'
          ? null
          : f === 'write'
            ? Math.floor(random() * 5)
            : [Math.floor(random() * 5), Math.floor(random() * 5)];
      running.set(process, {
        process,
        f,
        key,
        arg,
        applied: false,
        result: undefined,
        info: random() < (options.infoRate ?? 0),
      });
      events.push({ process, type: 'invoke', f, value: wrap(key, f === 'read' ? null : arg), time });
      left--;
      continue;
    }
    const op = pending[Math.floor(random() * pending.length)];
    if (!op) continue;
    const k = op.key ?? 0;
    // An info operation may never take effect; every other one does, at one instant while it runs.
    const never = op.info && !op.applied && random() < 0.5;
    if (!op.applied && !never) {
      const current = store.get(k) ?? null;
      if (op.f === 'read') op.result = current;
      else if (op.f === 'write') store.set(k, op.arg as number);
      else {
        const [from, to] = op.arg as [number, number];
        op.result = current === from;
        if (op.result) store.set(k, to);
      }
      op.applied = true;
      continue;
    }
    running.delete(op.process);
    if (op.info) {
      events.push({
        process: op.process,
        type: 'info',
        f: op.f,
        value: wrap(op.key, op.f === 'read' ? null : op.arg),
        time,
      });
      // Jepsen gives a crashed process's successor a new number.
      idle.push(nextProcess++);
      continue;
    }
    idle.push(op.process);
    if (op.f === 'read')
      events.push({ process: op.process, type: 'ok', f: 'read', value: wrap(op.key, op.result), time });
    else if (op.f === 'write')
      events.push({ process: op.process, type: 'ok', f: 'write', value: wrap(op.key, op.arg), time });
    else
      events.push({
        process: op.process,
        type: op.result ? 'ok' : 'fail',
        f: 'cas',
        value: wrap(op.key, op.arg),
        time,
      });
  }
  return events;
}
