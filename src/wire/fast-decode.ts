import { parseDateTime } from './datetime.js';
import {
  decodeBase64,
  decodeBoolean,
  decodeDouble,
  decodeInteger,
  DEFAULT_MAX_DEPTH,
  toFault,
  type DecodeOptions,
  type DecodedDocument,
} from './scalars.js';
import { newStruct, type XmlRpcStruct, type XmlRpcValue } from './values.js';

/**
 * A hand-written decoder for the plain documents most calls are: no
 * comments, CDATA, DOCTYPE, attributes or namespaces, entities limited to
 * XML's five and character references. It returns undefined on anything
 * else, or on anything wrong, and the saxes decoder then gives the value or
 * the fault: this path never decides a fault itself. A property test holds
 * it to the same answers as saxes.
 */
class Bail extends Error {}
const BAIL = new Bail();

// Characters XML 1.0 text cannot hold, and carriage returns (XML rewrites them).
const UNSAFE_TEXT =
  // eslint-disable-next-line no-control-regex -- finding control characters is this pattern's purpose
  /[\x00-\x08\x0B\x0C\x0D\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|]]>/;
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9A-Fa-f]{1,6}));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function validChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function text(raw: string): string {
  if (UNSAFE_TEXT.test(raw)) throw BAIL;
  if (raw.indexOf('&') < 0) return raw;
  // An & that is not one of the five entities or a character reference is for saxes to judge.
  if (raw.replace(ENTITY, '').includes('&')) throw BAIL;
  return raw.replace(ENTITY, (_m, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name) return NAMED[name]!;
    const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    if (!validChar(cp)) throw BAIL;
    return String.fromCodePoint(cp);
  });
}

const INT_TAGS = new Set(['int', 'i4', 'i8', 'i1', 'i2', 'biginteger']);

class Parser {
  pos = 0;
  depth = 0;
  constructor(
    readonly s: string,
    readonly maxDepth: number,
    readonly revive: DecodeOptions['reviveStruct'],
  ) {}

  ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 32 || c === 10 || c === 9) p++;
      else break;
    }
    this.pos = p;
  }

  lit(t: string): void {
    if (!this.s.startsWith(t, this.pos)) throw BAIL;
    this.pos += t.length;
  }

  /** Consumes `t` if the text goes on with it. */
  eat(t: string): boolean {
    if (!this.s.startsWith(t, this.pos)) return false;
    this.pos += t.length;
    return true;
  }

  /** Text up to the next '<', which must open `close`. */
  until(close: string): string {
    const end = this.s.indexOf('<', this.pos);
    if (end < 0) throw BAIL;
    const raw = this.s.slice(this.pos, end);
    this.pos = end;
    this.lit(close);
    return raw;
  }

  value(): unknown {
    this.lit('<value>');
    const start = this.pos;
    this.ws();
    const blankEnd = this.pos;
    if (this.eat('</value>')) return text(this.s.slice(start, blankEnd));
    if (this.s.charCodeAt(this.pos) !== 60 /* < */) {
      this.pos = start;
      return text(this.until('</value>'));
    }
    const v = this.typed();
    this.ws();
    this.lit('</value>');
    return v;
  }

  typed(): unknown {
    const s = this.s;
    const gt = s.indexOf('>', this.pos);
    if (gt < 0) throw BAIL;
    const tag = s.slice(this.pos + 1, gt);
    this.pos = gt + 1;
    switch (tag) {
      case 'string':
        return text(this.until('</string>'));
      case 'string/':
        return '';
      case 'nil/':
        return null;
      case 'boolean':
        return decodeBoolean(this.scalar('</boolean>'));
      case 'double':
        return decodeDouble(this.scalar('</double>'));
      case 'base64':
        return decodeBase64(this.scalar('</base64>'));
      case 'dateTime.iso8601':
        return parseDateTime(this.scalar('</dateTime.iso8601>'));
      case 'array':
        return this.array();
      case 'struct':
        return this.struct();
      default:
        if (INT_TAGS.has(tag)) return decodeInteger(this.scalar(`</${tag}>`), tag);
        throw BAIL;
    }
  }

  scalar(close: string): string {
    const raw = this.until(close);
    if (raw.indexOf('&') >= 0 || UNSAFE_TEXT.test(raw)) throw BAIL;
    return raw;
  }

  array(): unknown[] {
    if (++this.depth > this.maxDepth) throw BAIL;
    this.ws();
    const items: unknown[] = [];
    if (!this.eat('<data/>')) {
      this.lit('<data>');
      for (;;) {
        this.ws();
        if (this.eat('</data>')) break;
        items.push(this.value());
      }
    }
    this.ws();
    this.lit('</array>');
    this.depth--;
    return items;
  }

  struct(): unknown {
    if (++this.depth > this.maxDepth) throw BAIL;
    const out: XmlRpcStruct = newStruct();
    for (;;) {
      this.ws();
      if (this.eat('</struct>')) break;
      this.lit('<member>');
      this.ws();
      this.lit('<name>');
      const name = text(this.until('</name>'));
      this.ws();
      out[name] = this.value() as XmlRpcValue;
      this.ws();
      this.lit('</member>');
    }
    this.depth--;
    return this.revive ? this.revive(out) : out;
  }

  document(): DecodedDocument {
    const s = this.s;
    if (s.startsWith('<?xml')) {
      const end = s.indexOf('?>');
      if (end < 0) throw BAIL;
      const decl = s.slice(0, end + 2);
      // Only the plain declarations peers send; anything else goes to saxes.
      if (!/^<\?xml version=(["'])1\.0\1(?: encoding=(["'])(?:utf-8|UTF-8)\2)?\s*\?>$/.test(decl)) throw BAIL;
      this.pos = end + 2;
    }
    this.ws();
    let doc: DecodedDocument;
    if (this.eat('<methodCall>')) {
      this.ws();
      this.lit('<methodName>');
      const name = text(this.until('</methodName>')).trim();
      if (!name) throw BAIL;
      this.ws();
      const params: XmlRpcValue[] = [];
      if (!this.eat('<params/>') && this.eat('<params>')) {
        for (;;) {
          this.ws();
          if (this.eat('</params>')) break;
          this.lit('<param>');
          this.ws();
          params.push(this.value() as XmlRpcValue);
          this.ws();
          this.lit('</param>');
        }
        this.ws();
      }
      this.lit('</methodCall>');
      doc = { kind: 'call', methodName: name, params };
    } else if (this.eat('<methodResponse>')) {
      this.ws();
      if (this.eat('<fault>')) {
        this.ws();
        const v = this.value();
        this.ws();
        this.lit('</fault>');
        doc = { kind: 'fault', fault: toFault(v) };
      } else {
        this.lit('<params>');
        this.ws();
        this.lit('<param>');
        this.ws();
        const v = this.value() as XmlRpcValue;
        this.ws();
        this.lit('</param>');
        this.ws();
        this.lit('</params>');
        doc = { kind: 'response', value: v };
      }
      this.ws();
      this.lit('</methodResponse>');
    } else {
      throw BAIL;
    }
    this.ws();
    if (this.pos !== s.length) throw BAIL;
    return doc;
  }
}

/** The document, or undefined when the saxes decoder must decide. */
export function fastDecode(xml: string, options: DecodeOptions = {}): DecodedDocument | undefined {
  try {
    return new Parser(xml, options.maxDepth ?? DEFAULT_MAX_DEPTH, options.reviveStruct).document();
  } catch {
    // A bail, a scalar the shared converters refused, a too-deep recursion: all go to saxes.
    return undefined;
  }
}
