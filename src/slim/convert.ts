import type { SlimList, SlimValue } from './serializer.js';

export const VOID = '/__VOID__/';

/**
 * A fixture's return value as SLIM sends it: text, or lists of it.
 * undefined (a method that returns nothing) is /__VOID__/; null is "null";
 * plain objects and Maps become lists of [name, value] pairs, which is
 * what query tables read as rows.
 */
export function toSlim(value: unknown, top = true): SlimValue {
  if (value === undefined) return top ? VOID : 'null';
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => toSlim(v, false)) as SlimList;
  if (value instanceof Set) return [...value].map((v) => toSlim(v, false)) as SlimList;
  if (value instanceof Map) return [...value].map(([k, v]) => [String(k), toSlim(v, false)]) as SlimList;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return Object.entries(value).map(([k, v]) => [k, toSlim(v, false)]) as SlimList;
  }
  return String(value);
}
