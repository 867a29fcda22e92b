import { named, RocError } from '../wire/errors.js';

/**
 * One event of a history, in Jepsen's shape: a process invokes an operation
 * (`f`, `value`), which completes `ok`, `fail` (it did not happen) or `info`
 * (it may or may not have happened, at any time after its invoke). `time` is
 * nanoseconds on a monotonic clock, as Jepsen writes it.
 */
export interface HistoryEvent {
  process: number | string;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  f: string;
  value: unknown;
  time: number;
  /** Why a fail or info completion ended so (an error's message). */
  error?: string;
}

/** An operation: an invoke and its completion, as a checker sees it. */
export interface Operation {
  /** Its position among the history's operations (0-based, in invoke order). */
  id: number;
  process: number | string;
  f: string;
  /** The invoke's value. */
  input: unknown;
  /** The completion's value (an ok's); undefined for an info (unknown). */
  output: unknown;
  /** ok: it happened within [call, ret]; info: it may have happened any time after call, or never. */
  type: 'ok' | 'info';
  call: number;
  /** The completion's time; Infinity for an info or an invoke with no completion. */
  ret: number;
  /** Index of the invoke event and of the completion event in the history (undefined when none). */
  invokeIndex: number;
  completeIndex: number | undefined;
}

export class HistoryError extends RocError {
  static {
    named(this, 'HistoryError');
  }
  /** 1-based line (JSON Lines) or index of the event at fault. */
  readonly at: number | undefined;
  constructor(message: string, at?: number) {
    super(message);
    this.at = at;
  }
}

/** How a thrown error ends an operation: `fail` when it surely did not happen, else `info`. */
export type Classifier = (error: unknown) => 'fail' | 'info';

/**
 * The default classifier: errors that say the request was refused before
 * anything happened (HTTP 4xx answers, a connection refused, a NemesisError's
 * refusal) are `fail`; timeouts, resets and everything else are `info`, as
 * Jepsen would have it: when in doubt, the operation may have happened.
 */
export const defaultClassifier: Classifier = (error) => {
  const e = error as { code?: unknown; status?: unknown; reason?: unknown; name?: unknown } | null;
  if (e && (e.code === 'ECONNREFUSED' || e.reason === 'refused')) return 'fail';
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) return 'fail';
  return 'info';
};

const nowNs = (): number => Number(process.hrtime.bigint());

/** An operation invoked and not yet completed; complete it once. */
export class PendingOp {
  readonly #history: History;
  readonly #process: number | string;
  readonly #f: string;
  readonly #value: unknown;
  #done = false;

  constructor(history: History, process: number | string, f: string, value: unknown) {
    this.#history = history;
    this.#process = process;
    this.#f = f;
    this.#value = value;
  }

  #complete(type: 'ok' | 'fail' | 'info', value: unknown, error?: unknown): void {
    if (this.#done) throw new HistoryError(`process ${String(this.#process)}'s ${this.#f} was completed already`);
    this.#done = true;
    const event: HistoryEvent = { process: this.#process, type, f: this.#f, value, time: nowNs() };
    if (error !== undefined) event.error = error instanceof Error ? error.message : String(error);
    this.#history.record(event);
  }

  /** It happened, and answered `value` (a read's value; the invoke's value when omitted). */
  ok(value: unknown = this.#value): void {
    this.#complete('ok', value);
  }

  /** It surely did not happen. */
  fail(error?: unknown): void {
    this.#complete('fail', this.#value, error);
  }

  /** It may or may not have happened (a timeout, a lost connection). */
  info(error?: unknown): void {
    this.#complete('info', this.#value, error);
  }
}

/**
 * A history of operations as clients saw them, recorded in real-time order.
 * One pending operation per process at a time, as in Jepsen: a process whose
 * operation ended `info` should not be reused (Jepsen starts a new one).
 */
export class History {
  readonly events: HistoryEvent[] = [];
  /** One instant on both clocks: events' monotonic ns and faults' epoch ms meet on a report's timeline. */
  origin: { wallMs: number; ns: number } = { wallMs: Date.now(), ns: nowNs() };
  /**
   * The faults made while it was recorded (a nemesis's Fault objects will
   * do: their heal time is read when the report is drawn), for the run
   * report's timeline.
   */
  readonly faults: { kind?: string; description: string; startedAt: number; healedAt?: number }[] = [];
  readonly #pending = new Map<number | string, string>();

  /** Records an invoke now; complete it with the returned op's ok, fail or info. */
  invoke(process: number | string, f: string, value: unknown = null): PendingOp {
    if (this.#pending.has(process))
      throw new HistoryError(
        `process ${String(process)} invoked ${f} while its ${this.#pending.get(process)} is pending: one operation per process at a time`,
      );
    this.record({ process, type: 'invoke', f, value, time: nowNs() });
    return new PendingOp(this, process, f, value);
  }

  /**
   * Records an operation around an async call: ok with what it resolves to
   * (or `okValue(result)`), fail or info by `classify` when it throws (the
   * error is thrown on).
   */
  async run<T>(
    process: number | string,
    f: string,
    value: unknown,
    fn: () => Promise<T>,
    options: { classify?: Classifier; okValue?: (result: T) => unknown } = {},
  ): Promise<T> {
    const op = this.invoke(process, f, value);
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      const kind = (options.classify ?? defaultClassifier)(err);
      if (kind === 'fail') op.fail(err);
      else op.info(err);
      throw err;
    }
    op.ok(options.okValue ? options.okValue(result) : result === undefined ? value : result);
    return result;
  }

  /** Appends an event (times must not go backwards). */
  record(event: HistoryEvent): void {
    const last = this.events.at(-1);
    if (last && event.time < last.time)
      throw new HistoryError(`events must come in time order: ${event.time} after ${last.time}`, this.events.length);
    if (event.type === 'invoke') this.#pending.set(event.process, event.f);
    else this.#pending.delete(event.process);
    this.events.push(event);
  }

  /** JSON Lines, one event a line, as Jepsen's history.jsonl, after a first line with the clocks' origin. */
  toJSONL(): string {
    return `${JSON.stringify({ origin: this.origin })}\n${toJSONL(this.events)}`;
  }

  static fromJSONL(text: string): History {
    const h = new History();
    const first = text.slice(0, text.indexOf('\n') + 1 || undefined).trim();
    try {
      const meta = JSON.parse(first) as { origin?: { wallMs: number; ns: number } };
      if (meta && meta.origin && typeof meta.origin.wallMs === 'number') h.origin = meta.origin;
    } catch {
      // no origin line: events only
    }
    for (const e of fromJSONL(text)) h.events.push(e);
    return h;
  }
}

export const toJSONL = (events: readonly HistoryEvent[]): string =>
  events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');

/** Events from JSON Lines; a line that is not an event is an error naming the line. */
export function fromJSONL(text: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    // The line History.toJSONL puts first: where the clocks meet, not an event.
    if (i === 0 && line.startsWith('{"origin":')) return;
    let e: HistoryEvent;
    try {
      e = JSON.parse(line) as HistoryEvent;
    } catch (err) {
      throw new HistoryError(`line ${i + 1}: not JSON (${(err as Error).message})`, i + 1);
    }
    if (
      !e ||
      typeof e !== 'object' ||
      !['invoke', 'ok', 'fail', 'info'].includes(e.type) ||
      typeof e.f !== 'string' ||
      (typeof e.process !== 'number' && typeof e.process !== 'string')
    )
      throw new HistoryError(
        `line ${i + 1}: an event needs process, type (invoke, ok, fail or info), f and value: ${line.slice(0, 200)}`,
        i + 1,
      );
    if (typeof e.time !== 'number') e.time = i;
    out.push(e);
  });
  return out;
}

/**
 * The operations of a history, as a checker takes them (Jepsen's rules): a
 * `fail` did not happen and is dropped; an `info`, or an invoke never
 * completed, may have happened at any time after its invoke, so it stays open
 * to the end; a fail or info completion with no value keeps the invoke's.
 */
export function operationsOf(events: readonly HistoryEvent[]): Operation[] {
  // Each invoke's place among the invokes: operations come out in invoke order without a sort.
  const open = new Map<number | string, { event: HistoryEvent; index: number; seq: number }>();
  const slots: (Operation | undefined)[] = [];
  for (let index = 0; index < events.length; index++) {
    const e = events[index]!;
    if (e.type === 'invoke') {
      const prev = open.get(e.process);
      // A new invoke by a process whose last op never completed: the last one is indeterminate.
      if (prev) slots[prev.seq] = operation(prev.event, prev.index, undefined, undefined);
      open.set(e.process, { event: e, index, seq: slots.length });
      slots.push(undefined);
      continue;
    }
    const inv = open.get(e.process);
    if (!inv)
      throw new HistoryError(
        `event ${index}: process ${String(e.process)} completed ${e.f} (${e.type}) with no invoke pending`,
        index,
      );
    open.delete(e.process);
    // A fail did not happen: its slot stays empty.
    if (e.type !== 'fail') slots[inv.seq] = operation(inv.event, inv.index, e, index);
  }
  for (const { event, index, seq } of open.values()) slots[seq] = operation(event, index, undefined, undefined);
  const ops: Operation[] = [];
  for (const op of slots) if (op) ops.push(op);
  ops.forEach((op, i) => (op.id = i));
  return ops;
}

function operation(
  invoke: HistoryEvent,
  invokeIndex: number,
  done: HistoryEvent | undefined,
  doneIndex: number | undefined,
): Operation {
  const ok = done?.type === 'ok';
  return {
    id: 0,
    process: invoke.process,
    f: invoke.f,
    input: invoke.value,
    output: ok ? (done.value === undefined ? invoke.value : done.value) : undefined,
    type: ok ? 'ok' : 'info',
    call: invoke.time,
    ret: ok ? done.time : Infinity,
    invokeIndex,
    completeIndex: doneIndex,
  };
}
