import { hostname } from 'node:os';
import { callSignal } from './call-context.js';
import { CallerGoneError, WaitTimeoutError } from './errors.js';
import { probeOf } from './wait-probes.js';
import { checkUnit } from './systemctl.js';
import type { WaitCondition, WaitResult } from './types.js';

/** A look that did not finish before the wait's timeout. */
const LATE = Symbol('late');

/** How often a wait looks again. */
const INTERVAL_MS = 100;
/** The longest wait one call may ask for. */
const MAX_WAIT_MS = 60 * 60_000;

const KINDS = new Set(['logLine', 'port', 'http', 'command', 'service', 'file', 'process', 'exited', 'all', 'any']);

function checkCondition(c: unknown, at = 'condition'): asserts c is WaitCondition {
  const kind = (c as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !KINDS.has(kind))
    throw new TypeError(
      `wait.until: ${at} must be a Wait condition (Wait.logLine, Wait.port, ...), got ${JSON.stringify(c)}`,
    );
  const unit = (c as { unit?: unknown }).unit;
  if (unit !== undefined && unit !== null) checkUnit(unit, `wait.until: ${at}.unit`);
  if ((kind === 'process' || kind === 'exited') && !Number.isInteger((c as { pid?: unknown }).pid))
    throw new TypeError(`wait.until: ${at}: ${kind} takes a pid`);
  if (kind === 'all' || kind === 'any') {
    const of = (c as { of?: unknown }).of;
    if (!Array.isArray(of) || of.length === 0)
      throw new TypeError(`wait.until: ${at}: ${kind} takes a list of conditions`);
    of.forEach((x, i) => checkCondition(x, `${at}.of[${i}]`));
  }
}

/**
 * Waits on this guest, in one call, until the condition holds; resolves
 * with how long that took and what was seen. After timeoutMs it rejects
 * with a WaitTimeoutError that says, for each condition, what it saw last
 * (the last lines of a log, the HTTP status, the command's output) and
 * whether the process or unit it names is alive.
 */
export async function until(condition: WaitCondition, timeoutMs: number): Promise<WaitResult> {
  checkCondition(condition);
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > MAX_WAIT_MS)
    throw new TypeError(`wait.until: timeoutMs is from 1 ms to 1 hour, got ${String(timeoutMs)}`);
  const started = Date.now();
  const probe = probeOf(condition);
  const caller = callSignal();
  // The wait ends at its timeout even in the middle of a slow look, and at once when its caller hangs up.
  const within = <T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(LATE), Math.max(0, ms));
      const gone = (): void => reject(new CallerGoneError());
      caller?.addEventListener('abort', gone, { once: true });
      work.then(resolve, reject).finally(() => {
        clearTimeout(timer);
        caller?.removeEventListener('abort', gone);
      });
    });
  try {
    for (;;) {
      if (caller?.aborted) throw new CallerGoneError();
      const ok = await within(probe.check(), started + timeoutMs - Date.now());
      if (ok === true) return { ms: Date.now() - started, observed: [await probe.observed()] };
      const left = started + timeoutMs - Date.now();
      if (left <= 0 || ok === LATE) break;
      const slept = await within(new Promise<void>((r) => setTimeout(r, Math.min(INTERVAL_MS, left))), left + 1);
      if (slept === LATE) break;
    }
    const observed = [
      await within(probe.observed(), 2_000).then((o) => (o === LATE ? 'still looking at the timeout' : o)),
    ];
    const guest = process.env.ROC_GUEST ?? hostname();
    throw new WaitTimeoutError(
      `${guest}: still waiting after ${timeoutMs} ms for ${observed.join('; ')}`,
      timeoutMs,
      observed,
    );
  } finally {
    await probe.close();
  }
}
