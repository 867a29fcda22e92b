/** `10s`, `500ms`, `2m`, `1h`, or a bare number of seconds, to milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

/** A duration as the topology writes them (`'30s'`) or a number of milliseconds, to milliseconds; `what` names it in the error. */
export function durationMs(value: string | number, what: string): number {
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (ms === undefined || !Number.isFinite(ms) || !(ms > 0))
    throw new TypeError(`${what}: expected a duration such as '30s' or a number of ms, got ${JSON.stringify(value)}`);
  return ms;
}
