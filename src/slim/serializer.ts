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

// Six digits at least; for the usual sizes without padStart's allocations.
const ZEROS = ['00000', '0000', '000', '00', '0', ''];
const pad = (n: number): string =>
  n < 1_000_000
    ? ZEROS[n < 10 ? 0 : n < 100 ? 1 : n < 1000 ? 2 : n < 10_000 ? 3 : n < 100_000 ? 4 : 5]! + n
    : String(n);

export function serialize(list: readonly unknown[]): string {
  let out = `[${pad(list.length)}:`;
  for (const item of list) {
    const s = Array.isArray(item) ? serialize(item) : item === null || item === undefined ? 'null' : String(item);
    out += `${pad(s.length)}:${s}:`;
  }
  return `${out}]`;
}

const OPEN = 0x5b;
const CLOSE = 0x5d;
const COLON = 0x3a;

/**
 * Reads a list where it stands in the text: a nested list is read in place,
 * between the bounds of its item, not copied out and read again. What is
 * being read is named (and an item numbered) only when it is wrong.
 */
class Reader {
  pos: number;
  end: number;
  constructor(
    readonly text: string,
    start: number,
    end: number,
  ) {
    this.pos = start;
    this.end = end;
  }

  fail(what: string, item: number, message: string): never {
    throw new SlimSyntaxError(`${item >= 0 ? `${what} ${item}` : what}: ${message}`);
  }

  char(code: number, what: string, item = -1): void {
    if (this.pos >= this.end || this.text.charCodeAt(this.pos) !== code) {
      this.fail(
        what,
        item,
        `expected "${String.fromCharCode(code)}" at offset ${this.pos}, got ${this.pos < this.end ? JSON.stringify(this.text[this.pos]) : 'the end'}`,
      );
    }
    this.pos++;
  }

  /** Six digits or more, then a colon. */
  number(what: string, item = -1): number {
    const start = this.pos;
    let n = 0;
    for (; this.pos < this.end; this.pos++) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
    }
    if (this.pos - start < 6) this.fail(what, item, `expected at least six digits at offset ${start}`);
    this.char(COLON, what, item);
    return n;
  }
}

function readList(r: Reader): SlimList {
  r.char(OPEN, 'list');
  const count = r.number('item count');
  const out: SlimList = [];
  for (let i = 0; i < count; i++) {
    const length = r.number('length of item', i);
    if (r.pos + length > r.end)
      throw new SlimSyntaxError(`item ${i} claims ${length} characters, but only ${r.end - r.pos} are left`);
    const start = r.pos;
    out.push(maybeList(r, start, start + length));
    r.pos = start + length;
    r.char(COLON, 'end of item', i);
  }
  r.char(CLOSE, 'end of list');
  return out;
}

/** An item that is a whole list is read as one; anything else (a bracket in text) stays text. */
function maybeList(r: Reader, start: number, end: number): SlimValue {
  if (end - start < 9 || r.text.charCodeAt(start) !== OPEN) return r.text.slice(start, end);
  const outer = r.end;
  r.end = end;
  try {
    const list = readList(r);
    if (r.pos === end) return list;
  } catch {
    // not a list after all
  } finally {
    r.end = outer;
  }
  return r.text.slice(start, end);
}

export function deserialize(text: string): SlimList {
  if (!text) throw new SlimSyntaxError("can't deserialize an empty string");
  const r = new Reader(text, 0, text.length);
  const list = readList(r);
  if (r.pos !== text.length) throw new SlimSyntaxError(`${text.length - r.pos} characters after the end of the list`);
  return list;
}
