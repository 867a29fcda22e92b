import { DecodeError } from './fault.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * `YYYYMMDDTHH:MM:SS` in UTC: the only form Python's xmlrpc.client turns
 * into a datetime with use_builtin_types, and the one it sends itself.
 */
export function formatDateTime(date: Date): string {
  const year = date.getUTCFullYear();
  return (
    pad(year, 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    'T' +
    pad(date.getUTCHours()) +
    ':' +
    pad(date.getUTCMinutes()) +
    ':' +
    pad(date.getUTCSeconds())
  );
}

// Lenient on purpose: other XML-RPC peers send dashes, fractions, Z and
// offsets. A time without a zone is taken as UTC, as ROC sends it.
const DATE_TIME =
  /^\s*(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

export function parseDateTime(text: string): Date {
  const m = DATE_TIME.exec(text);
  if (!m) {
    throw new DecodeError(
      `bad dateTime.iso8601 value ${JSON.stringify(text.slice(0, 40))}: expected YYYYMMDDTHH:MM:SS`,
    );
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) {
    throw new DecodeError(`bad dateTime.iso8601 value ${JSON.stringify(text)}: a field is out of range`);
  }
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  const date = new Date(utc);
  // Date.UTC rolls 31 February over into March; the sender meant something else.
  if (offsetMinutes === 0 && date.getUTCDate() !== day && hour < 24) {
    throw new DecodeError(`bad dateTime.iso8601 value ${JSON.stringify(text)}: no such day`);
  }
  return date;
}
