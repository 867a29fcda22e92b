import { inspect } from 'node:util';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeCall,
  decodeResponse,
  DecodeError,
  Double,
  encodeCall,
  encodeFault,
  encodeResponse,
  encodeValue,
  EncodeError,
  XmlRpcFault,
} from '../../src/wire/index.js';
import { FaultCode } from '../../src/protocol/index.js';

const call = (valueXml: string): string =>
  `<?xml version="1.0"?><methodCall><methodName>m</methodName><params><param><value>${valueXml}</value></param></params></methodCall>`;
const decodeOne = (valueXml: string): unknown => decodeCall(call(valueXml)).params[0];
const roundTrip = (v: unknown): unknown => decodeCall(encodeCall('m', [v])).params[0];

function decodeFails(xml: string, pattern: RegExp, code?: number): void {
  assert.throws(
    () => decodeCall(xml),
    (err: unknown) => {
      assert.ok(err instanceof DecodeError, `expected DecodeError, got ${String(err)}`);
      assert.match(err.message, pattern);
      if (code !== undefined) assert.equal(err.faultCode, code);
      return true;
    },
  );
}

describe('integers', () => {
  test('within int32 encode as <int>, other numbers as <double>', () => {
    assert.equal(encodeValue(5), '<value><int>5</int></value>');
    assert.equal(encodeValue(-2147483648), '<value><int>-2147483648</int></value>');
    assert.equal(encodeValue(2147483647), '<value><int>2147483647</int></value>');
    assert.equal(encodeValue(2147483648), '<value><double>2147483648.0</double></value>');
    assert.equal(encodeValue(1.5), '<value><double>1.5</double></value>');
  });

  test('bigint encodes as <i8>, and one past 64 bits is refused', () => {
    assert.equal(encodeValue(2n ** 40n), '<value><i8>1099511627776</i8></value>');
    assert.equal(encodeValue(-(2n ** 63n)), '<value><i8>-9223372036854775808</i8></value>');
    assert.throws(() => encodeValue(2n ** 63n), /does not fit in a 64-bit <i8>/);
  });

  test('every integer tag decodes', () => {
    for (const tag of ['int', 'i4', 'i8', 'i1', 'i2', 'biginteger', 'ex:i8']) {
      assert.equal(decodeOne(`<${tag}>42</${tag}>`), 42, tag);
      assert.equal(decodeOne(`<${tag}>-7</${tag}>`), -7, tag);
      assert.equal(decodeOne(`<${tag}> +3 </${tag}>`), 3, tag);
    }
  });

  test('decoding is strict: 12abc is a fault, not 12', () => {
    decodeFails(call('<int>12abc</int>'), /bad <int> value "12abc"/);
    decodeFails(call('<i4>1.5</i4>'), /bad <i4> value/);
    decodeFails(call('<int></int>'), /bad <int> value ""/);
    decodeFails(call('<i8>0x10</i8>'), /bad <i8> value/);
  });

  test('values past 2^53 decode to bigint, values within it to number', () => {
    assert.equal(decodeOne('<i8>9007199254740991</i8>'), 9007199254740991);
    assert.equal(decodeOne('<i8>9007199254740993</i8>'), 9007199254740993n);
    assert.equal(decodeOne('<i8>-9223372036854775808</i8>'), -9223372036854775808n);
    assert.equal(decodeOne('<int>123456789012345678901234567890</int>'), 123456789012345678901234567890n);
  });
});

describe('doubles', () => {
  test('nan, inf, -inf and -0.0 both ways', () => {
    assert.equal(encodeValue(NaN), '<value><double>nan</double></value>');
    assert.equal(encodeValue(Infinity), '<value><double>inf</double></value>');
    assert.equal(encodeValue(-Infinity), '<value><double>-inf</double></value>');
    assert.equal(encodeValue(-0), '<value><double>-0.0</double></value>');
    assert.ok(Number.isNaN(decodeOne('<double>nan</double>')));
    assert.equal(decodeOne('<double>inf</double>'), Infinity);
    assert.equal(decodeOne('<double>-inf</double>'), -Infinity);
    assert.equal(decodeOne('<double>Infinity</double>'), Infinity);
    assert.ok(Object.is(decodeOne('<double>-0.0</double>'), -0));
    assert.ok(Object.is(roundTrip(-0), -0));
  });

  test('Double sends a whole number as a double', () => {
    assert.equal(encodeValue(new Double(3)), '<value><double>3.0</double></value>');
    assert.equal(encodeValue(new Double(-0)), '<value><double>-0.0</double></value>');
    assert.equal(roundTrip(new Double(3)), 3);
  });

  test('exponents and fractions decode; junk is a fault', () => {
    assert.equal(decodeOne('<double>1e+21</double>'), 1e21);
    assert.equal(decodeOne('<double>.5</double>'), 0.5);
    assert.equal(decodeOne('<double>-2.5E-3</double>'), -0.0025);
    assert.equal(roundTrip(1e-7), 1e-7);
    decodeFails(call('<double>1.5x</double>'), /bad <double> value "1.5x"/);
    decodeFails(call('<double></double>'), /bad <double> value/);
  });
});

describe('dates', () => {
  test('emitted as YYYYMMDDTHH:MM:SS in UTC', () => {
    const d = new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 678));
    assert.equal(encodeValue(d), '<value><dateTime.iso8601>20200102T03:04:05</dateTime.iso8601></value>');
  });

  test('decoded leniently: dashes, fractions, Z and offsets', () => {
    const expected = Date.UTC(2020, 0, 2, 3, 4, 5);
    for (const text of [
      '20200102T03:04:05',
      '2020-01-02T03:04:05',
      '2020-01-02T03:04:05Z',
      '20200102T030405',
      '2020-01-02T04:04:05+01:00',
      '2020-01-02T01:04:05-0200',
    ]) {
      assert.equal((decodeOne(`<dateTime.iso8601>${text}</dateTime.iso8601>`) as Date).getTime(), expected, text);
    }
    assert.equal(
      (decodeOne('<dateTime.iso8601>2020-01-02T03:04:05.250Z</dateTime.iso8601>') as Date).getTime(),
      expected + 250,
    );
  });

  test('bad dates are faults; invalid Dates cannot be sent', () => {
    decodeFails(call('<dateTime.iso8601>yesterday</dateTime.iso8601>'), /bad dateTime.iso8601 value "yesterday"/);
    decodeFails(call('<dateTime.iso8601>20200230T00:00:00</dateTime.iso8601>'), /no such day/);
    assert.throws(() => encodeValue(new Date(NaN)), /invalid Date/);
  });
});

describe('strings', () => {
  test('escape & < > and \\r', () => {
    assert.equal(encodeValue('a&b<c>d\re'), '<value><string>a&amp;b&lt;c&gt;d&#13;e</string></value>');
    assert.equal(roundTrip('line1\r\nline2'), 'line1\r\nline2');
  });

  test('bare <value>text</value> is a string, whitespace kept', () => {
    assert.equal(decodeOne('plain text'), 'plain text');
    assert.equal(decodeOne('  spaced  '), '  spaced  ');
    assert.equal(decodeOne(''), '');
    assert.equal(decodeOne('<string/>'), '');
  });

  test('multi-byte text, entities and CDATA', () => {
    assert.equal(roundTrip('Köln 🀜 € ü'), 'Köln 🀜 € ü');
    assert.equal(decodeOne('<string>&#x1F01C;&#65;&quot;&apos;</string>'), '🀜A"\'');
    assert.equal(decodeOne('<string><![CDATA[<raw> & ]]></string>'), '<raw> & ');
  });

  test('characters XML cannot carry are refused with a hint', () => {
    assert.throws(
      () => encodeValue({ k: ['ok', 'nul\u0000'] }),
      (err: unknown) => {
        assert.ok(err instanceof EncodeError);
        assert.match(
          err.message,
          /cannot send U\+0000 at offset 3 of a string: XML 1.0 has no way to carry it; send the data as a Buffer \(base64\) instead \(at k\[1\]\)/,
        );
        return true;
      },
    );
    assert.throws(() => encodeValue('\uD800'), /U\+D800/);
  });
});

describe('base64, nil, booleans', () => {
  test('base64 <-> Buffer and Uint8Array', () => {
    assert.equal(encodeValue(Buffer.from('hi')), '<value><base64>aGk=</base64></value>');
    assert.equal(encodeValue(new Uint8Array([0, 255])), '<value><base64>AP8=</base64></value>');
    assert.deepEqual(decodeOne('<base64>aGk=</base64>'), Buffer.from('hi'));
    assert.deepEqual(decodeOne('<base64>\n  aG\n  k=\n</base64>'), Buffer.from('hi'));
    assert.deepEqual(roundTrip(Buffer.from([0, 1, 2, 253, 254, 255])), Buffer.from([0, 1, 2, 253, 254, 255]));
    decodeFails(call('<base64>@@@</base64>'), /is not base64/);
  });

  test('nil both ways, ex:nil accepted, undefined sent as nil', () => {
    assert.equal(encodeValue(null), '<value><nil/></value>');
    assert.equal(encodeValue(undefined), '<value><nil/></value>');
    assert.equal(decodeOne('<nil/>'), null);
    assert.equal(decodeOne('<ex:nil/>'), null);
    assert.equal(decodeOne('<ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/>'), null);
    decodeFails(call('<nil>x</nil>'), /must be empty/);
  });

  test('booleans are 0 and 1', () => {
    assert.equal(encodeValue(true), '<value><boolean>1</boolean></value>');
    assert.equal(decodeOne('<boolean>0</boolean>'), false);
    assert.equal(decodeOne('<boolean>1</boolean>'), true);
    decodeFails(call('<boolean>yes</boolean>'), /bad <boolean> value "yes"/);
  });
});

describe('arrays and structs', () => {
  test('round trip nested data', () => {
    const v = { list: [1, 'two', 3.5, null, false, [[]]], nested: { deep: { deeper: 'x' } }, empty: {} };
    assert.deepEqual(JSON.parse(JSON.stringify(roundTrip(v))), v);
  });

  test('structs decode inheriting nothing; __proto__ is plain data; inspect shows them as plain objects', () => {
    const s = decodeOne(
      '<struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value>yes</value></member></struct></value></member><member><name>constructor</name><value>c</value></member></struct>',
    ) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(s)), null, 'nothing above its own prototype');
    assert.equal('toString' in s, false);
    assert.deepEqual(Object.keys(s), ['__proto__', 'constructor']);
    assert.equal(inspect(s), "{ ['__proto__']: { polluted: 'yes' }, constructor: 'c' }");
    assert.equal(s.constructor, 'c');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });

  test('duplicate member names: the last wins', () => {
    const s = decodeOne(
      '<struct><member><name>k</name><value>first</value></member><member><name>k</name><value>last</value></member></struct>',
    ) as Record<string, unknown>;
    assert.equal(s.k, 'last');
  });

  test('Map and Set, class instances by value, errors as structs', () => {
    class P {
      x = 1;
      y = 2;
      norm() {
        return 0;
      }
    }
    assert.deepEqual({ ...(roundTrip(new Map([['a', 1]])) as object) }, { a: 1 });
    assert.deepEqual(roundTrip(new Set([1, 2])), [1, 2]);
    assert.deepEqual({ ...(roundTrip(new P()) as object) }, { x: 1, y: 2 });
    assert.deepEqual({ ...(roundTrip(new RangeError('r')) as object) }, { name: 'RangeError', message: 'r' });
    assert.throws(() => encodeValue(new Map([[1, 'x']])), /a Map with a number key/);
  });

  test('functions, symbols and cycles are refused with the path', () => {
    assert.throws(
      () => encodeValue({ a: [1, () => 1] }),
      /cannot send a function \(anonymous\): XML-RPC carries data only \(at a\[1\]\)/,
    );
    assert.throws(() => encodeValue({ s: Symbol('x') }), /cannot send a symbol x/);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    assert.throws(() => encodeValue(cyclic), /contains itself \(at self\.back\)/);
    const shared = { v: 1 };
    assert.doesNotThrow(() => encodeValue([shared, shared]));
  });

  test('the replace hook swaps class instances', () => {
    class Handle {
      id = 7;
    }
    const xml = encodeValue([new Handle()], { replace: (o) => (o instanceof Handle ? { ref: o.id } : undefined) });
    assert.equal(
      xml,
      '<value><array><data><value><struct><member><name>ref</name><value><int>7</int></value></member></struct></value></data></array></value>',
    );
  });
});

describe('depth limits, without recursion', () => {
  test('encode refuses values nested past maxDepth and survives 100,000 levels', () => {
    let deep: unknown[] = [];
    const root = deep;
    for (let i = 0; i < 100_000; i++) {
      const next: unknown[] = [];
      deep.push(next);
      deep = next;
    }
    assert.throws(() => encodeValue(root), /nested more than 256 arrays or structs deep/);
    assert.doesNotThrow(() => encodeValue(root, { maxDepth: 200_000 }));
  });

  test('decode refuses documents nested past maxDepth', () => {
    const n = 100_000;
    const xml = call('<array><data><value>'.repeat(n) + '</value></data></array>'.repeat(n));
    decodeFails(xml, /nested more than 256 arrays or structs deep/);
    const ok = call('<array><data><value>'.repeat(256) + '</value></data></array>'.repeat(256));
    assert.doesNotThrow(() => decodeCall(ok));
    assert.throws(() => decodeCall(ok, { maxDepth: 10 }), /nested more than 10/);
  });
});

describe('document structure', () => {
  test('any DOCTYPE is rejected, entities are never expanded', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><methodCall><methodName>&lol2;</methodName></methodCall>`;
    decodeFails(laughs, /a DOCTYPE is not allowed/);
    const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><methodCall><methodName>&xxe;</methodName></methodCall>`;
    decodeFails(xxe, /a DOCTYPE is not allowed/);
    decodeFails('<methodCall><methodName>&xxe;</methodName></methodCall>', /not well-formed XML/);
  });

  test('unknown tags and wrong roots are rejected', () => {
    decodeFails('<foo/>', /<foo> cannot be the root/, FaultCode.INVALID_REQUEST);
    decodeFails(call('<float>1</float>'), /unknown element <float>/, FaultCode.INVALID_REQUEST);
    decodeFails(call('<struct><name>x</name></struct>'), /<name> is not allowed inside <struct>/);
    decodeFails(call('<int>1</int><int>2</int>'), /<value> holds one element, got a second <int>/);
    decodeFails('<methodCall><params/></methodCall>', /without <methodName>/);
    decodeFails(call('<struct><member><value>1</value></member></struct>'), /<member> without <name>/);
    decodeFails(call('<array></array>'), /<array> without <data>/);
    decodeFails(
      '<methodCall><methodName>m</methodName>stray</methodCall>',
      /text "stray" is not allowed inside <methodCall>/,
    );
  });

  test('truncated and non-XML bodies are parse errors', () => {
    decodeFails('<methodCall><methodName>m</methodName><params>', /not well-formed XML/, FaultCode.PARSE_ERROR);
    decodeFails('hello world', /not well-formed XML/, FaultCode.PARSE_ERROR);
    decodeFails('', /empty document|not well-formed/);
    decodeFails('{"json": true}', /not well-formed XML/);
  });

  test('a call without <params> has no params (as Python sends)', () => {
    assert.deepEqual(decodeCall('<methodCall><methodName>classes</methodName></methodCall>'), {
      methodName: 'classes',
      params: [],
    });
  });

  test('responses: one param, or a fault with its extra members', () => {
    assert.equal(decodeResponse(encodeResponse('ok')), 'ok');
    const fault = new XmlRpcFault(
      1,
      'ValueError: bad',
      Object.assign(Object.create(null), { name: 'ValueError', stack: 'at x' }),
    );
    assert.throws(
      () => decodeResponse(encodeFault(fault)),
      (err: unknown) => {
        assert.ok(err instanceof XmlRpcFault);
        assert.equal(err.faultCode, 1);
        assert.equal(err.faultString, 'ValueError: bad');
        assert.equal(err.extra.name, 'ValueError');
        assert.equal(err.extra.stack, 'at x');
        return true;
      },
    );
    assert.throws(
      () => decodeResponse('<methodResponse><params></params></methodResponse>'),
      /exactly one <param>, got 0/,
    );
  });

  test("Python's own bytes decode (from the wire capture)", () => {
    const captured =
      "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><int>1</int></value>\n<value><string>two</string></value>\n<value><double>3.0</double></value>\n<value><nil/></value><value><boolean>0</boolean></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
    assert.deepEqual(decodeResponse(captured), [1, 'two', 3, null, false]);
    const fault =
      "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>&lt;class 'ValueError'&gt;:bad thing</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";
    assert.throws(() => decodeResponse(fault), { faultCode: 1, faultString: "<class 'ValueError'>:bad thing" });
  });
});
