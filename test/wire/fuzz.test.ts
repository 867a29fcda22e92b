import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  STRUCT_PROTOTYPE,
  decodeDocument,
  decodeDocumentStrict,
  DecodeError,
  encodeCall,
  encodeFault,
  encodeResponse,
  fastDecode,
  XmlRpcFault,
} from '../../src/wire/index.js';

/** Values XML-RPC can carry, as the encoder takes them. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.integer(),
    fc.double({ noNaN: false }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.string({ unit: 'grapheme' }),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc
      .date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })
      .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000)),
    fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a)),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('struct')),
  array: fc.array(tie('node'), { maxLength: 5 }),
  struct: fc.dictionary(
    fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'faultCode')),
    tie('node'),
    { maxKeys: 5 },
  ),
})).node;

const document = fc.oneof(
  fc
    .tuple(
      fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0),
      fc.array(value, { maxLength: 4 }),
    )
    .map(([m, params]) => encodeCall(m, params)),
  value.map((v) => encodeResponse(v)),
  fc.tuple(fc.integer(), fc.string()).map(([code, text]) => encodeFault(new XmlRpcFault(code, text))),
);

const TAGS = [
  '<value>',
  '</value>',
  '<array>',
  '<data>',
  '</data>',
  '<struct>',
  '<member>',
  '<name>',
  '</name>',
  '<int>',
  '</int>',
  '<i8>',
  '<double>',
  '<string>',
  '<base64>',
  '<nil/>',
  '<ex:nil/>',
  '<!DOCTYPE x>',
  '<!ENTITY a "b">',
  '&a;',
  '&#0;',
  '&#x110000;',
  ']]>',
  '<![CDATA[',
  '<?pi?>',
  '<!-- -->',
  '\u0000',
  '\uFFFE',
  '\uD800',
  '<methodCall>',
  '<methodResponse>',
  '<fault>',
  '<params>',
  '<param>',
];

/** Mutations of a valid document: cut, splice, duplicate, insert tags and bytes. */
const mutated = fc
  .tuple(
    document,
    fc.array(
      fc.tuple(fc.nat(), fc.nat(), fc.oneof(fc.constantFrom(...TAGS), fc.string({ maxLength: 8 }), fc.constant(''))),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([doc, edits]) => {
    let s = doc;
    for (const [a, b, insert] of edits) {
      const i = a % (s.length + 1);
      const j = Math.min(s.length, i + (b % 12));
      s = s.slice(0, i) + insert + s.slice(j);
    }
    return s;
  });

/** Every answer is a value or a fault: nothing else may escape. */
function decodesCleanly(xml: string): void {
  try {
    decodeDocument(xml);
  } catch (err) {
    if (!(err instanceof DecodeError))
      throw new Error(`decode threw ${String(err)} for ${JSON.stringify(xml.slice(0, 200))}`, { cause: err });
    assert.ok(typeof err.faultCode === 'number' && err.message.length > 0);
  }
}

test('valid documents decode to the value that was encoded', () => {
  fc.assert(
    fc.property(fc.array(value, { maxLength: 4 }), (params) => {
      const decoded = decodeDocument(encodeCall('m', params));
      assert.equal(decoded.kind, 'call');
      const normal = (v: unknown): unknown =>
        JSON.parse(
          JSON.stringify(v, (_k, x) =>
            typeof x === 'bigint'
              ? x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER)
                ? Number(x)
                : `${x}n`
              : Number.isNaN(x)
                ? 'NaN'
                : x === Infinity
                  ? 'inf'
                  : x === -Infinity
                    ? '-inf'
                    : Object.is(x, -0)
                      ? '-0'
                      : x,
          ),
        );
      assert.deepEqual(normal(decoded.kind === 'call' ? decoded.params : null), normal(params));
    }),
    { numRuns: 500 },
  );
});

test('mutated documents: no exception but DecodeError escapes the decoder', () => {
  fc.assert(fc.property(mutated, decodesCleanly), { numRuns: 3_000 });
});

test('random text: no exception but DecodeError escapes the decoder', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.array(fc.constantFrom(...TAGS, 'x', ' ', '1')).map((a) => a.join('')),
      ),
      decodesCleanly,
    ),
    { numRuns: 3_000 },
  );
});

/** What a decoder answers for a document: its value, or its fault code and message. */
function answer(decode: () => unknown): unknown {
  try {
    return { value: normalize(decode()) };
  } catch (err) {
    return { fault: (err as DecodeError).faultCode, message: (err as Error).message };
  }
}

function normalize(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x) => {
      if (typeof x === 'bigint') return `${x}n`;
      if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
      if (typeof x === 'number' && Object.is(x, -0)) return '-0';
      if (x instanceof XmlRpcFault) return { faultCode: x.faultCode, faultString: x.faultString, extra: x.extra };
      if (x && typeof x === 'object' && !Array.isArray(x) && Object.getPrototypeOf(x) === STRUCT_PROTOTYPE)
        return { __nullProto: true, ...x };
      return x;
    }),
  );
}

// The fast path must give the same value or the same fault as saxes on every document, hostile ones included.
function sameAsSaxes(xml: string): void {
  const strict = answer(() => decodeDocumentStrict(xml));
  const fast = fastDecode(xml);
  if (fast !== undefined) {
    assert.deepEqual(
      normalize(fast),
      (strict as { value?: unknown }).value,
      `fast path and saxes differ on ${JSON.stringify(xml.slice(0, 300))}`,
    );
  }
  assert.deepEqual(
    answer(() => decodeDocument(xml)),
    strict,
  );
}

test('fast path: the same value or fault as saxes on valid documents (and it takes them)', () => {
  let taken = 0;
  fc.assert(
    fc.property(document, (xml) => {
      sameAsSaxes(xml);
      if (fastDecode(xml) !== undefined) taken++;
    }),
    { numRuns: 2_000 },
  );
  assert.ok(taken > 1_500, `the fast path took only ${taken} of 2,000 valid documents`);
});

test('fast path: the same value or fault as saxes on mutated and random documents', () => {
  fc.assert(fc.property(mutated, sameAsSaxes), { numRuns: 5_000 });
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.array(fc.constantFrom(...TAGS, 'x', ' ', '1', '&amp;', '&#65;', '\r', '\n')).map((a) => a.join('')),
      ),
      sameAsSaxes,
    ),
    { numRuns: 3_000 },
  );
});

test("fast path: Python's whitespace, entities and declarations, and what it leaves to saxes", () => {
  const python =
    "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><int>1</int></value>\n<value><string>two &amp; &lt;3&gt; &#x1F01C;</string></value>\n<value><nil/></value></data></array></value>\n</param>\n</params>\n</methodResponse>\n";
  assert.deepEqual(fastDecode(python), { kind: 'response', value: [1, 'two & <3> 🀜', null] });
  for (const xml of [
    '<?xml version="1.0"?><!DOCTYPE x><methodCall><methodName>m</methodName></methodCall>',
    '<methodCall><!-- c --><methodName>m</methodName></methodCall>',
    '<methodCall><methodName>m</methodName><params><param><value><string><![CDATA[x]]></string></value></param></params></methodCall>',
    '<methodCall><methodName>m</methodName><params><param><value><ex:nil/></value></param></params></methodCall>',
    '<methodCall><methodName>m</methodName><params><param><value><string>a\r\nb</string></value></param></params></methodCall>',
    '<methodCall><methodName>m</methodName><params><param><value><string>&unknown;</string></value></param></params></methodCall>',
    '<methodCall><methodName>m</methodName><params><param><value><int>12abc</int></value></param></params></methodCall>',
  ]) {
    assert.equal(fastDecode(xml), undefined, xml);
    sameAsSaxes(xml);
  }
});
