import { hostname } from 'node:os';
import { WaitTimeoutError } from './errors.js';
import { probeOf } from './wait-probes.js';
import type { WaitCondition, WaitResult } from './types.js';

/** How often a wait looks again. */
const INTERVAL_MS = 100;
/** The longest wait one call may ask for. */
const MAX_WAIT_MS = 60 * 60_000;

const KINDS = new Set(['logLine', 'port', 'http', 'command', 'service', 'file', 'all', 'any']);

function checkCondition(c: unknown, at = 'condition'): asserts c is WaitCondition {
  const kind = (c as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !KINDS.has(kind))
    throw new TypeError(
      `wait.until: ${at} must be a Wait condition (Wait.logLine, Wait.port, ...), got ${JSON.stringify(c)}`,
    );
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
  try {
    for (;;) {
      if (await probe.check()) return { ms: Date.now() - started, observed: [await probe.observed()] };
      const left = started + timeoutMs - Date.now();
      if (left <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(INTERVAL_MS, left)));
    }
    const observed = [await probe.observed()];
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
