import { isPlainStruct } from '../wire/index.js';
import type { SlimList, SlimValue } from './serializer.js';

export const VOID = '/__VOID__/';

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A Map as FitNesse's hash table (what Java's MapConverter sends): FitNesse
 * shows it as a table and compares it with a `!{key:value}` cell.
 */
export function hashTable(map: ReadonlyMap<unknown, unknown>, depth = 0): string {
  // The layout of FitNesse's HtmlTag, which renders a `!{k:v}` cell: FitNesse compares the two texts.
  const pad = '\t'.repeat(depth);
  const cell = (v: unknown): string =>
    v instanceof Map ? hashTable(v, depth + 2) : escapeHtml(String(v ?? 'null')).trim();
  const rows = [...map].map(
    ([k, v]) =>
      `${pad}\t<tr class="hash_row">\n${pad}\t\t<td class="hash_key">${cell(k)}</td>\n${pad}\t\t<td class="hash_value">${cell(v)}</td>\n${pad}\t</tr>`,
  );
  return `<table class="hash_table">\n${rows.join('\n')}\n${pad}</table>`;
}

/**
 * A fixture's return value as SLIM sends it: text, or lists of it.
 * undefined (a method that returns nothing) is /__VOID__/; null is "null";
 * a Map a method returns is a hash table, as Java's SlimService sends one;
 * plain objects (and Maps inside a list) become lists of [name, value]
 * pairs, which is what query tables read as rows.
 */
export function toSlim(value: unknown, top = true): SlimValue {
  if (value === undefined) return top ? VOID : 'null';
  if (top && value instanceof Map) return hashTable(value);
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => toSlim(v, false)) as SlimList;
  if (value instanceof Set) return [...value].map((v) => toSlim(v, false)) as SlimList;
  if (value instanceof Map) return [...value].map(([k, v]) => [String(k), toSlim(v, false)]) as SlimList;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'object') {
    if (isPlainStruct(value)) return Object.entries(value).map(([k, v]) => [k, toSlim(v, false)]) as SlimList;
  }
  return String(value);
}
