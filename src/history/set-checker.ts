import { type HistoryEvent } from './history.js';
import { canonical } from './models.js';

/** An operation as the set checker names it: the process, what it did, and when (ns). */
export interface SetOp {
  process: number | string;
  f: string;
  value: unknown;
  type: 'ok' | 'info' | 'fail';
  invoke: number;
  complete: number | undefined;
}

export interface SetProblem {
  element: unknown;
  /** The add that put it there (for phantoms: none). */
  add?: SetOp;
  /** The read that shows the problem: the last read that missed it (lost, stale), or that had it (phantom). */
  read?: SetOp;
  /** For stale: the read that showed it again afterwards. */
  seenAgainBy?: SetOp;
}

export interface SetResult {
  valid: boolean;
  /** Adds acknowledged or seen, and absent from every read that began after the last read that had them. */
  lost: SetProblem[];
  /** Elements a read missed after they were known, that a later read had again. */
  stale: SetProblem[];
  /** Acknowledged adds no read began after. */
  neverRead: SetProblem[];
  /** Elements a read had that no add ever tried to add. */
  phantom: SetProblem[];
  /** Adds acknowledged, adds whose outcome is unknown, reads. */
  counts: { ok: number; info: number; reads: number };
}

/**
 * Jepsen's set-full check: add(x) operations and reads of the whole set,
 * concurrent and faulty. An element is known once its add was acknowledged
 * or a read had it; a known element absent from every later read is lost,
 * one missing for a while and back later is stale, one no read could have
 * seen is never-read, and an element read that nobody added is a phantom.
 * Each problem names the operations that prove it.
 */
export function checkSet(events: readonly HistoryEvent[]): SetResult {
  const pending = new Map<number | string, { event: HistoryEvent }>();
  const adds = new Map<string, SetOp>();
  const reads: (SetOp & { members: Set<string> })[] = [];
  const values = new Map<string, unknown>();
  let ok = 0;
  let info = 0;
  const close = (inv: HistoryEvent, done: HistoryEvent | undefined): void => {
    const op: SetOp = {
      process: inv.process,
      f: inv.f,
      value: done?.type === 'ok' ? done.value : inv.value,
      type: done ? (done.type as SetOp['type']) : 'info',
      invoke: inv.time,
      complete: done?.time,
    };
    if (inv.f === 'add') {
      const key = canonical(inv.value);
      values.set(key, inv.value);
      if (op.type === 'fail') return;
      if (op.type === 'ok') ok++;
      else info++;
      const before = adds.get(key);
      // The add that reached the set first is the one that counts.
      if (
        !before ||
        (op.type === 'ok' && (before.type !== 'ok' || (before.complete ?? Infinity) > (op.complete ?? Infinity)))
      )
        adds.set(key, op);
    } else if (inv.f === 'read' && op.type === 'ok') {
      const list = Array.isArray(op.value) ? op.value : [];
      for (const v of list) values.set(canonical(v), v);
      reads.push({ ...op, members: new Set(list.map(canonical)) });
    }
  };
  for (const e of events) {
    if (e.type === 'invoke') {
      const open = pending.get(e.process);
      if (open) close(open.event, undefined);
      pending.set(e.process, { event: e });
    } else {
      const open = pending.get(e.process);
      if (!open) continue;
      pending.delete(e.process);
      close(open.event, e);
    }
  }
  for (const { event } of pending.values()) close(event, undefined);
  reads.sort((a, b) => a.invoke - b.invoke);

  const result: SetResult = {
    valid: true,
    lost: [],
    stale: [],
    neverRead: [],
    phantom: [],
    counts: { ok, info, reads: reads.length },
  };
  for (const read of reads)
    for (const key of read.members)
      if (!adds.has(key) && !result.phantom.some((p) => canonical(p.element) === key))
        result.phantom.push({ element: values.get(key), read });
  for (const [key, add] of adds) {
    const firstSeen = reads.find((r) => r.members.has(key));
    // Known from its acknowledgement, or from the first read that completed with it.
    const known = Math.min(add.type === 'ok' ? add.complete! : Infinity, firstSeen?.complete ?? Infinity);
    if (known === Infinity) continue; // an add whose outcome is unknown and never seen: it may not have happened
    const after = reads.filter((r) => r.invoke > known);
    if (after.length === 0) {
      if (!firstSeen) result.neverRead.push({ element: values.get(key), add });
      continue;
    }
    const lastWith = [...after].reverse().find((r) => r.members.has(key));
    const missing = after.filter((r) => !r.members.has(key));
    if (missing.length === 0) continue;
    const lastMissing = missing.at(-1)!;
    if (!lastWith || lastWith.invoke < lastMissing.invoke) {
      result.lost.push({ element: values.get(key), add, read: lastMissing });
    } else {
      const firstMissing = missing[0]!;
      const again = after.find((r) => r.invoke > firstMissing.invoke && r.members.has(key));
      result.stale.push({ element: values.get(key), add, read: firstMissing, seenAgainBy: again });
    }
  }
  result.valid = result.lost.length === 0 && result.phantom.length === 0;
  return result;
}
