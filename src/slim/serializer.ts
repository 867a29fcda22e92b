import { named, RocError } from '../wire/errors.js';
/**
 * SLIM's list format: `[` count `:` then each item as length `:` text `:`,
 * then `]`; counts and lengths are at least six digits, lengths in UTF-16
 * code units (what Java's String.length() and JavaScript's .length count).
 * Items that are themselves valid lists are read as lists.
 */
export type SlimValue = string | SlimList;
export type SlimList = SlimValue[];

export class SlimSyntaxError extends RocError {
  static {
    named(this, 'SlimSyntaxError');
  }
}

const pad = (n: number): string => (n < 1_000_000 ? String(n).padStart(6, '0') : String(n));

export function serialize(list: readonly unknown[]): string {
  let out = `[${pad(list.length)}:`;
  for (const item of list) {
    const s = Array.isArray(item) ? serialize(item) : item === null || item === undefined ? 'null' : String(item);
    out += `${pad(s.length)}:${s}:`;
  }
  return `${out}]`;
}

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  char(expected: string, what: string): void {
    if (this.text[this.pos] !== expected) {
      throw new SlimSyntaxError(
        `${what}: expected "${expected}" at offset ${this.pos}, got ${this.pos < this.text.length ? JSON.stringify(this.text[this.pos]) : 'the end'}`,
      );
    }
    this.pos++;
  }

  /** Six digits or more, then a colon. */
  number(what: string): number {
    const start = this.pos;
    while (this.pos < this.text.length && this.text.charCodeAt(this.pos) >= 48 && this.text.charCodeAt(this.pos) <= 57)
      this.pos++;
    if (this.pos - start < 6) throw new SlimSyntaxError(`${what}: expected at least six digits at offset ${start}`);
    const n = Number(this.text.slice(start, this.pos));
    this.char(':', what);
    return n;
  }
}

function readList(r: Reader): SlimList {
  r.char('[', 'list');
  const count = r.number('item count');
  const out: SlimList = [];
  for (let i = 0; i < count; i++) {
    const length = r.number(`length of item ${i}`);
    if (r.pos + length > r.text.length)
      throw new SlimSyntaxError(`item ${i} claims ${length} characters, but only ${r.text.length - r.pos} are left`);
    const item = r.text.slice(r.pos, r.pos + length);
    r.pos += length;
    r.char(':', `end of item ${i}`);
    out.push(maybeList(item));
  }
  r.char(']', 'end of list');
  return out;
}

function maybeList(item: string): SlimValue {
  if (item.length < 9 || item[0] !== '[') return item;
  try {
    return deserialize(item);
  } catch {
    return item;
  }
}

export function deserialize(text: string): SlimList {
  if (!text) throw new SlimSyntaxError("can't deserialize an empty string");
  const r = new Reader(text);
  const list = readList(r);
  if (r.pos !== text.length) throw new SlimSyntaxError(`${text.length - r.pos} characters after the end of the list`);
  return list;
}
