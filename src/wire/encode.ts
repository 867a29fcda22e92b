import { formatDateTime } from './datetime.js';
import { EncodeError, XmlRpcFault } from './fault.js';
import { DEFAULT_MAX_DEPTH } from './scalars.js';
import { Double, I8_MAX, I8_MIN, INT32_MAX, INT32_MIN } from './values.js';

export interface EncodeOptions {
  /** Arrays and structs nested deeper than this are refused (default 256). */
  maxDepth?: number;
  /**
   * Called for every object that is not an array, Map, Set, Date, Buffer or
   * Double. Return a replacement to encode instead, or undefined to encode
   * the object by value (its own enumerable properties, as Python marshals
   * `__dict__`). Keep it cheap for plain objects: it runs for each one.
   */
  replace?: (value: object) => unknown;
}

// Characters XML 1.0 cannot carry at all, even escaped; lone surrogates too.
const INVALID_XML_CHAR =
  // eslint-disable-next-line no-control-regex -- finding control characters is this pattern's purpose
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NEEDS_ESCAPE = /[&<>\r]/;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

interface Where {
  readonly parent: Where | undefined;
  readonly key: string | number;
}

function pathOf(where: Where | undefined): string {
  const parts: string[] = [];
  for (let w = where; w; w = w.parent) {
    parts.push(
      typeof w.key === 'number'
        ? `[${w.key}]`
        : /^[A-Za-z_$][\w$]*$/.test(w.key)
          ? `.${w.key}`
          : `[${JSON.stringify(w.key)}]`,
    );
  }
  return parts.reverse().join('').replace(/^\./, '');
}

export function escapeText(text: string, where?: Where): string {
  if (INVALID_XML_CHAR.test(text)) {
    const bad = INVALID_XML_CHAR.exec(text)!;
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new EncodeError(
      `cannot send U+${code} at offset ${bad.index} of a string: XML 1.0 has no way to carry it; send the data as a Buffer (base64) instead`,
      pathOf(where),
    );
  }
  return NEEDS_ESCAPE.test(text) ? text.replace(/[&<>\r]/g, (c) => ESCAPES[c]!) : text;
}

function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  // Whole numbers get ".0" so every peer reads them back as a float.
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function describeType(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return `symbol ${value.description ?? ''}`.trim();
  if (value && typeof value === 'object') return `${value.constructor?.name ?? 'Object'} object`;
  return typeof value;
}

type Task = { v: unknown; where: Where | undefined; depth: number } | string | { exit: object };

/** `<value>…</value>` for any JavaScript value XML-RPC can carry; iterative, so deep values cannot overflow the stack. */
export function encodeValue(root: unknown, options: EncodeOptions = {}): string {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const replace = options.replace;
  const open = new Set<object>();
  const tasks: Task[] = [{ v: root, where: undefined, depth: 0 }];
  let out = '';

  while (tasks.length > 0) {
    const task = tasks.pop()!;
    if (typeof task === 'string') {
      out += task;
      continue;
    }
    if ('exit' in task) {
      open.delete(task.exit);
      continue;
    }
    const { v } = task;
    const { where, depth } = task;
    switch (typeof v) {
      case 'string':
        out += `<value><string>${escapeText(v, where)}</string></value>`;
        continue;
      case 'number':
        out +=
          Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX && !Object.is(v, -0)
            ? `<value><int>${v}</int></value>`
            : `<value><double>${formatDouble(v)}</double></value>`;
        continue;
      case 'boolean':
        out += v ? '<value><boolean>1</boolean></value>' : '<value><boolean>0</boolean></value>';
        continue;
      case 'bigint':
        if (v < I8_MIN || v > I8_MAX)
          throw new EncodeError(`cannot send ${v}n: it does not fit in a 64-bit <i8>`, pathOf(where));
        out += `<value><i8>${v}</i8></value>`;
        continue;
      case 'undefined':
        out += '<value><nil/></value>';
        continue;
      case 'function':
      case 'symbol':
        throw new EncodeError(`cannot send a ${describeType(v)}: XML-RPC carries data only`, pathOf(where));
    }
    if (v === null) {
      out += '<value><nil/></value>';
      continue;
    }
    let obj = v as object;
    if (obj instanceof Double) {
      out += `<value><double>${formatDouble(obj.value)}</double></value>`;
      continue;
    }
    if (obj instanceof Date) {
      if (Number.isNaN(obj.getTime())) throw new EncodeError('cannot send an invalid Date', pathOf(where));
      out += `<value><dateTime.iso8601>${formatDateTime(obj)}</dateTime.iso8601></value>`;
      continue;
    }
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      const bytes =
        obj instanceof ArrayBuffer ? Buffer.from(obj) : Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength);
      out += `<value><base64>${bytes.toString('base64')}</base64></value>`;
      continue;
    }
    if (obj instanceof String || obj instanceof Number || obj instanceof Boolean) {
      tasks.push({ v: obj.valueOf(), where, depth });
      continue;
    }
    // Every non-array object goes past the hook: a Proxy (such as a remote
    // object) can look like plain data from the outside.
    if (replace && !Array.isArray(obj) && !(obj instanceof Map) && !(obj instanceof Set)) {
      const replaced = replace(obj);
      if (replaced !== undefined && replaced !== obj) {
        tasks.push({ v: replaced, where, depth });
        continue;
      }
    }
    if (depth >= maxDepth) {
      throw new EncodeError(`cannot send a value nested more than ${maxDepth} arrays or structs deep`, pathOf(where));
    }
    if (open.has(obj)) throw new EncodeError('cannot send a value that contains itself', pathOf(where));
    open.add(obj);
    tasks.push({ exit: obj });

    if (obj instanceof Set) obj = [...obj];
    if (Array.isArray(obj)) {
      out += '<value><array><data>';
      tasks.push('</data></array></value>');
      for (let i = obj.length - 1; i >= 0; i--)
        tasks.push({ v: obj[i], where: { parent: where, key: i }, depth: depth + 1 });
      continue;
    }
    let entries: [string, unknown][];
    if (obj instanceof Map) {
      entries = [];
      for (const [k, val] of obj) {
        if (typeof k !== 'string')
          throw new EncodeError(
            `cannot send a Map with a ${typeof k} key: struct member names are strings`,
            pathOf(where),
          );
        entries.push([k, val]);
      }
    } else if (obj instanceof Error) {
      entries = [['name', obj.name], ['message', obj.message], ...Object.entries(obj)];
    } else {
      entries = Object.entries(obj);
    }
    out += '<value><struct>';
    tasks.push('</struct></value>');
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, val] = entries[i]!;
      tasks.push('</member>');
      tasks.push({ v: val, where: { parent: where, key: k }, depth: depth + 1 });
      tasks.push(`<member><name>${escapeText(k, where)}</name>`);
    }
  }
  return out;
}

export function encodeCall(methodName: string, params: readonly unknown[], options?: EncodeOptions): string {
  let out = `<?xml version="1.0"?>\n<methodCall><methodName>${escapeText(methodName)}</methodName><params>`;
  for (const p of params) out += `<param>${encodeValue(p, options)}</param>`;
  return `${out}</params></methodCall>\n`;
}

export function encodeResponse(value: unknown, options?: EncodeOptions): string {
  return `<?xml version="1.0"?>\n<methodResponse><params><param>${encodeValue(value, options)}</param></params></methodResponse>\n`;
}

export function encodeFault(fault: XmlRpcFault): string {
  return `<?xml version="1.0"?>\n<methodResponse><fault>${encodeValue(fault.toStruct())}</fault></methodResponse>\n`;
}
