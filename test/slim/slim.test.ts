import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import {
  converse,
  deserialize,
  frame,
  FrameReader,
  serialize,
  SlimExecutor,
  SLIM_HEADER,
  type SlimList,
} from '../../src/slim/index.js';
import { repoRoot } from '../helpers.js';

describe('serializer: FitNesse wire vectors', () => {
  test('lists, nested lists, lengths in UTF-16 code units', () => {
    assert.equal(serialize(['hello', 'world']), '[000002:000005:hello:000005:world:]');
    assert.equal(serialize([]), '[000000:]');
    assert.equal(serialize(['h🀜llo']), '[000001:000006:h🀜llo:]');
    assert.equal(serialize([['a'], 'b']), '[000002:000018:[000001:000001:a:]:000001:b:]');
    assert.equal(serialize([null, 3, true]), '[000003:000004:null:000001:3:000004:true:]');
    assert.deepEqual(deserialize('[000002:000005:hello:000005:world:]'), ['hello', 'world']);
    assert.deepEqual(deserialize('[000001:000006:h🀜llo:]'), ['h🀜llo']);
    assert.deepEqual(deserialize('[000002:000018:[000001:000001:a:]:000001:b:]'), [['a'], 'b']);
    assert.deepEqual(deserialize('[000001:000000::]'), ['']);
  });

  test('round trip of every shape, including a 1,000,009-character item', () => {
    const huge = 'x'.repeat(1_000_009);
    const list: SlimList = ['Köln 🀜', '', '[not a list', ['nested', ['deeper', '']], huge];
    const text = serialize(list);
    assert.ok(text.includes(`1000009:${huge.slice(0, 5)}`), 'lengths past six digits are written in full');
    assert.deepEqual(deserialize(text), list);
  });

  test('malformed lists are errors', () => {
    assert.throws(() => deserialize(''), /empty string/);
    assert.throws(() => deserialize('[000001:000005:hello]'), /end of item 0/);
    assert.throws(() => deserialize('[00001:000001:a:]'), /at least six digits/);
    assert.throws(() => deserialize('[000002:000001:a:]'), /length of item 1/);
  });
});

describe('framing: lengths in UTF-8 bytes, raw bytes buffered', () => {
  test('a large frame arriving in small reads is joined once, not once per read; a length past the limit is refused', () => {
    const payload = 'x'.repeat(8 * 1024 * 1024);
    const bytes = frame(payload);
    const r = new FrameReader();
    const concat = Buffer.concat;
    let joins = 0;
    Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
      joins++;
      return concat(list, total);
    }) as typeof Buffer.concat;
    let frames: string[] = [];
    try {
      for (let at = 0; at < bytes.length; at += 64 * 1024)
        frames = frames.concat(r.push(bytes.subarray(at, at + 64 * 1024)));
    } finally {
      Buffer.concat = concat;
    }
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.length, payload.length);
    // 128 reads: the header is read once from the first ones, the bytes joined once at the end.
    assert.ok(joins <= 3, `joined ${joins} times`);
    assert.throws(
      () => new FrameReader().push(Buffer.from('999999999999:x')),
      /a frame of 999999999999 bytes is larger than this SLIM server takes \(134217728 bytes\); split the table, or send less in one instruction/,
    );
  });

  test('a frame split anywhere, even inside a multi-byte character, decodes once complete', () => {
    const payload = serialize(['Köln 🀜']);
    const bytes = frame(payload);
    assert.equal(bytes.subarray(0, 7).toString(), `${String(Buffer.byteLength(payload)).padStart(6, '0')}:`);
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = new FrameReader();
      assert.deepEqual(r.push(bytes.subarray(0, cut)), []);
      assert.deepEqual(r.push(bytes.subarray(cut)), [payload], `cut at ${cut}`);
    }
  });

  test('several frames in one chunk, and lengths of more than six digits', () => {
    const r = new FrameReader();
    assert.deepEqual(r.push(Buffer.concat([frame('bye'), frame('[000000:]')])), ['bye', '[000000:]']);
    const big = 'y'.repeat(1_234_567);
    assert.deepEqual(new FrameReader().push(Buffer.from(`1234567:${big}`)), [big]);
    assert.throws(() => new FrameReader().push(Buffer.from('abcdef:x')), /frame length must be digits/);
  });
});

const fixtures = `${repoRoot}test/slim/fixtures`;
async function run(
  instructions: SlimList,
  executor = new SlimExecutor({ cwd: repoRoot }),
): Promise<Record<string, unknown>> {
  const results = await executor.execute([['import_0', 'import', fixtures], ...instructions]);
  return Object.fromEntries(results.map((r) => [(r as string[])[0], (r as unknown[])[1]]));
}

describe('executor', () => {
  test('import, make, call, callAndAssign, assign; operation names case-insensitive', async () => {
    const r = await run([
      ['m', 'MAKE', 'calc', 'Calculator', '5'],
      ['c1', 'call', 'calc', 'add', '2'],
      ['c2', 'Call', 'calc', 'total'],
      ['c3', 'callAndAssign', 'v', 'calc', 'add', '3'],
      ['c4', 'call', 'calc', 'echo', 'value is $v'],
      ['a', 'assign', 'w', '007'],
      ['c5', 'call', 'calc', 'echo', '$w'],
      ['c6', 'call', 'calc', 'typeOf', '$w'],
    ]);
    assert.deepEqual(r, {
      import_0: 'OK',
      m: 'OK',
      c1: '7',
      c2: '7',
      c3: '10',
      c4: 'value is 10',
      a: 'OK',
      c5: '007',
      c6: 'string',
    });
  });

  test('values: /__VOID__/, null, lists, objects as [name, value] rows, promises awaited', async () => {
    const r = await run([
      ['m', 'make', 'calc', 'Calculator'],
      ['void', 'call', 'calc', 'nothing'],
      ['null', 'call', 'calc', 'nullValue'],
      ['list', 'call', 'calc', 'echo', ['a', ['b', 'c']]],
      ['rows', 'call', 'calc', 'rows'],
      ['later', 'call', 'calc', 'later', '5', 'done'],
      ['prop', 'call', 'calc', 'label'],
      ['set', 'call', 'calc', 'setLabel', 'new'],
      ['prop2', 'call', 'calc', 'label'],
    ]);
    assert.equal(r.void, '/__VOID__/');
    assert.equal(r.null, 'null');
    assert.deepEqual(r.list, ['a', ['b', 'c']]);
    assert.deepEqual(r.rows, [
      [
        ['name', 'Bob'],
        ['age', '3'],
      ],
      [
        ['name', 'Ann'],
        ['age', '5'],
      ],
    ]);
    assert.equal(r.later, 'done');
    assert.deepEqual([r.prop, r.set, r.prop2], ['calc', '/__VOID__/', 'new']);
  });

  test('symbols: whole argument is the object, in text its text, undefined stays, longest prefix wins, inside lists', async () => {
    const r = await run([
      ['m', 'make', 'calc', 'Calculator', '1'],
      ['s1', 'callAndAssign', 'obj', 'calc', 'self'],
      ['s2', 'call', 'calc', 'typeOf', '$obj'],
      ['a1', 'assign', 'V', 'short'],
      ['a2', 'assign', 'VAL', 'long'],
      ['s3', 'call', 'calc', 'echo', '$VALUE and $V and $undefined'],
      ['s4', 'call', 'calc', 'echo', ['$VAL', ['x $V']]],
      ['n', 'callAndAssign', 'nothing', 'calc', 'nullValue'],
      ['s5', 'call', 'calc', 'echo', 'was $nothing'],
      ['s6', 'call', 'calc', 'echo', '$x='],
    ]);
    assert.equal(r.s2, 'object');
    assert.equal(r.s3, 'longUE and short and $undefined');
    assert.deepEqual(r.s4, ['long', ['x short']]);
    assert.equal(r.s5, 'was null');
    assert.equal(r.s6, '$x=', 'x is unknown: the text stays, for a table table fixture to assign it');
  });

  test('fixture chaining: a symbol holding an object can be the class of a make', async () => {
    const r = await run([
      ['m', 'make', 'calc', 'Calculator', '40'],
      ['s', 'callAndAssign', 'c', 'calc', 'self'],
      ['m2', 'make', 'again', '$c'],
      ['c1', 'call', 'again', 'add', '2'],
    ]);
    assert.deepEqual([r.m2, r.c1], ['OK', '42']);
  });

  test('libraries, systemUnderTest and the helper library', async () => {
    const r = await run([
      ['l', 'make', 'library1', 'Lib'],
      ['m', 'make', 'calc', 'Calculator'],
      ['w', 'make', 'sut', 'WithSut'],
      ['c1', 'call', 'calc', 'libraryMethod'],
      ['c2', 'call', 'calc', 'add', '1'],
      ['c3', 'call', 'sut', 'sutOnly'],
      ['c4', 'call', 'nobody', 'libraryMethod'],
      ['h1', 'make', 'scriptTableActor', 'Calculator', '9'],
      ['h2', 'call', 'calc', 'pushFixture'],
      ['h3', 'make', 'scriptTableActor', 'Calculator', '1'],
      ['h4', 'call', 'calc', 'popFixture'],
      ['h5', 'call', 'scriptTableActor', 'total'],
      ['h6', 'call', 'calc', 'cloneSymbol', 'x'],
    ]);
    assert.deepEqual(
      [r.c1, r.c2, r.c3, r.c4],
      ['from the library', '1', 'from the system under test', 'from the library'],
    );
    assert.deepEqual([r.h2, r.h4, r.h5, r.h6], ['/__VOID__/', '/__VOID__/', '9', 'x']);
  });

  test("errors carry FitNesse's codes exactly", async () => {
    const r = await run([
      ['m1', 'make', 'x', 'NoSuchFixture'],
      ['m2', 'make', 'b', 'Broken'],
      ['m', 'make', 'calc', 'Calculator'],
      ['c1', 'call', 'calc', 'noSuchMethod', 'a'],
      ['c2', 'call', 'ghost', 'anything'],
      ['c3', 'call', 'calc', '_hidden'],
      ['c4', 'call', 'calc', 'fail', 'bad input'],
      ['bad', 'frobnicate', 'x'],
      ['short'],
    ]);
    assert.equal(
      r.m1,
      `__EXCEPTION__:message:<<Could not find class NoSuchFixture: no import has it (imported: ${fixtures}) (NO_CLASS)>>`,
    );
    assert.match(
      String(r.m2),
      /^__EXCEPTION__:message:<<Could not invoke constructor for Broken\[0\]: Error: cannot build \(COULD_NOT_INVOKE_CONSTRUCTOR\)>>$/,
    );
    assert.equal(
      r.c1,
      '__EXCEPTION__:message:<<Method noSuchMethod[1] not found in Calculator: it has Total, add, echo, fail, later, nothing, nullValue, rows, self, stop, typeOf (NO_METHOD_IN_CLASS)>>',
    );
    assert.equal(r.c2, '__EXCEPTION__:message:<<NO_INSTANCE ghost.anything.>>');
    assert.match(String(r.c3), /^__EXCEPTION__:message:<<Method _hidden\[0\] not found in Calculator: /);
    // An exception a fixture throws: its class, message and stack, and no message:<<>>, so FitNesse shows it all under the row.
    assert.match(String(r.c4), /^__EXCEPTION__:RangeError: bad input\n\s+at Calculator\.fail \(.*units\.js:\d+:\d+\)/);
    assert.equal(r.bad, '__EXCEPTION__:message:<<MALFORMED_INSTRUCTION unknown operation frobnicate>>');
    assert.equal(r.short, '__EXCEPTION__:message:<<MALFORMED_INSTRUCTION [short].>>');
  });

  test('a stop exception gives ABORT_SLIM_TEST and skips the rest of the batch', async () => {
    const executor = new SlimExecutor({ cwd: repoRoot });
    const results = await executor.execute([
      ['i', 'import', fixtures],
      ['m', 'make', 'calc', 'Calculator'],
      ['s', 'call', 'calc', 'stop'],
      ['after', 'call', 'calc', 'add', '1'],
    ]);
    assert.equal(results.length, 3);
    assert.match(
      String((results[2] as string[])[1]),
      /^__EXCEPTION__:ABORT_SLIM_TEST:StopTestException: stop now\n\s+at Calculator\.stop/,
    );
    const next = await executor.execute([['again', 'call', 'calc', 'add', '1']]);
    assert.deepEqual(next, [['again', '1']], 'the next batch runs');
  });

  test('StopSuite, IgnoreScriptTest and IgnoreAllTests have their own forms, and each ends the batch', async () => {
    for (const [cls, tag] of [
      ['StopSuiteException', 'ABORT_SLIM_SUITE'],
      ['SlimIgnoreScriptTestException', 'IGNORE_SCRIPT_TEST'],
      ['SlimIgnoreAllTestsException', 'IGNORE_ALL_TESTS'],
      ['MyStopTestError', 'ABORT_SLIM_TEST'],
    ] as const) {
      const executor = new SlimExecutor({ cwd: repoRoot });
      const Named = { [cls]: class extends Error {} }[cls]!;
      executor.setInstance('thrower', {
        go: () => {
          throw new Named('why');
        },
      });
      const results = await executor.execute([
        ['s', 'call', 'thrower', 'go'],
        ['after', 'call', 'thrower', 'go'],
      ]);
      assert.equal(results.length, 1, cls);
      assert.match(String((results[0] as string[])[1]), new RegExp(`^__EXCEPTION__:${tag}:${cls}: why\\n\\s+at `), cls);
    }
  });

  test('class names are looked up in imported paths, newest first', async () => {
    const executor = new SlimExecutor({ cwd: repoRoot });
    const results = await executor.execute([
      ['i1', 'import', fixtures],
      ['i2', 'import', `${repoRoot}test/slim/fixtures-newer`],
      ['m', 'make', 'c', 'calculator'],
      ['w', 'call', 'c', 'whoAmI'],
    ]);
    assert.deepEqual(results, [
      ['i1', 'OK'],
      ['i2', 'OK'],
      ['m', 'OK'],
      ['w', 'the newer import'],
    ]);
  });

  test('-s: a statement past its deadline answers TIMED_OUT', async () => {
    const executor = new SlimExecutor({ cwd: repoRoot, statementTimeoutSec: 0.1 });
    const r = await run(
      [
        ['m', 'make', 'calc', 'Calculator'],
        ['slow', 'call', 'calc', 'later', '2000', 'x'],
        ['fast', 'call', 'calc', 'add', '1'],
      ],
      executor,
    );
    assert.equal(r.slow, '__EXCEPTION__:message:<<TIMED_OUT 0.1>>');
    assert.equal(r.fast, '1');
  });
});

describe("as Java's SlimService answers", () => {
  test('a fully qualified class name is found without an import, before the imports', async () => {
    const executor = new SlimExecutor({ cwd: `${repoRoot}test/slim/fixtures-qualified` });
    const results = await executor.execute([
      ['m', 'make', 'q', 'acme.tables.Qualified'],
      ['w', 'call', 'q', 'whoAmI'],
      ['i', 'import', 'acme'],
      ['m2', 'make', 'q2', 'tables.Qualified'],
      ['w2', 'call', 'q2', 'whoAmI'],
    ]);
    assert.deepEqual(results, [
      ['m', 'OK'],
      ['w', 'acme.tables.Qualified'],
      ['i', 'OK'],
      ['m2', 'OK'],
      ['w2', 'acme.tables.Qualified'],
    ]);
  });

  test('a fixture that calls process.exit does not end the server: the instruction answers as Java does, the next runs', async () => {
    const r = await run([
      ['m', 'make', 'x', 'Exits'],
      ['e', 'call', 'x', 'now', '3'],
      ['c', 'call', 'x', 'caught', '42'],
      ['after', 'call', 'x', 'caught', '0'],
    ]);
    assert.match(String(r.e), /^__EXCEPTION__:SystemExitPrevented: prevented system exit with exit code 3\n\s+at /);
    assert.equal(r.c, 'prevented system exit with exit code 42');
    assert.equal(r.after, 'prevented system exit with exit code 0');
    assert.equal(typeof process.exit, 'function');
    assert.doesNotThrow(() => process.exitCode, 'process.exit is itself again after the batch');
  });

  test('-s: a fixture that blocks synchronously answers TIMED_OUT, and the next statement runs', async () => {
    const executor = new SlimExecutor({ cwd: repoRoot, statementTimeoutSec: 0.2 });
    const r = await run(
      [
        ['m', 'make', 'b', 'Blocks'],
        ['spin', 'call', 'b', 'spin'],
        ['ok', 'call', 'b', 'ok'],
      ],
      executor,
    );
    assert.equal(r.spin, '__EXCEPTION__:message:<<TIMED_OUT 0.2>>');
    assert.equal(r.ok, 'still here');
  });

  test('a Map a method returns is a hash table as FitNesse renders one; plain objects and Maps in lists stay rows', async () => {
    const r = await run([
      ['m', 'make', 'x', 'Maps'],
      ['map', 'call', 'x', 'map'],
      ['plain', 'call', 'x', 'plain'],
      ['rows', 'call', 'x', 'rows'],
    ]);
    assert.equal(
      r.map,
      '<table class="hash_table">\n\t<tr class="hash_row">\n\t\t<td class="hash_key">name</td>\n\t\t<td class="hash_value">bob</td>\n\t</tr>\n\t<tr class="hash_row">\n\t\t<td class="hash_key">address</td>\n\t\t<td class="hash_value">here</td>\n\t</tr>\n</table>',
    );
    assert.deepEqual(r.plain, [['name', 'bob']]);
    assert.deepEqual(r.rows, [[['name', 'Ann']]]);
  });

  test('an import of a path that names nothing is an error saying what was tried; a package name is accepted, as Java does', async () => {
    const executor = new SlimExecutor({ cwd: repoRoot });
    const results = await executor.execute([
      ['p', 'import', 'fixtures/my-fixtures'],
      ['j', 'import', 'com.example.fixtures'],
      ['m', 'make', 'x', 'Nope'],
    ]);
    const r = Object.fromEntries(results.map((x) => [(x as string[])[0], (x as string[])[1]]));
    assert.match(
      String(r.p),
      new RegExp(
        `^__EXCEPTION__:ImportNotFoundError: import fixtures/my-fixtures found nothing: tried ${repoRoot}fixtures/my-fixtures, ${repoRoot}fixtures/my-fixtures\\.js, ${repoRoot}fixtures/my-fixtures\\.mjs, ${repoRoot}fixtures/my-fixtures\\.cjs, the package fixtures/my-fixtures; give a folder`,
      ),
    );
    assert.equal(r.j, 'OK');
    assert.equal(
      r.m,
      '__EXCEPTION__:message:<<Could not find class Nope: no import has it (nothing imported); imports that named nothing here: com.example.fixtures (NO_CLASS)>>',
    );
  });
});

describe('conversation', () => {
  test('header, framed answers, bye', async () => {
    const input = new PassThrough();
    const written: Buffer[] = [];
    const done = converse(input, (b) => void written.push(Buffer.from(b)), { cwd: repoRoot });
    input.write(
      frame(
        serialize([
          ['i', 'import', fixtures],
          ['m', 'make', 'c', 'Calculator'],
          ['e', 'call', 'c', 'echo', 'Köln 🀜'],
        ]),
      ),
    );
    input.write(frame('bye'));
    assert.equal(await done, true);
    const out = Buffer.concat(written);
    assert.equal(out.subarray(0, SLIM_HEADER.length).toString(), 'Slim -- V0.5\n');
    const frames = new FrameReader().push(out.subarray(SLIM_HEADER.length));
    assert.deepEqual(deserialize(frames[0]!), [
      ['i', 'OK'],
      ['m', 'OK'],
      ['e', 'Köln 🀜'],
    ]);
  });

  test('a payload that is not a list is answered with MALFORMED_INSTRUCTION, and the conversation goes on', async () => {
    const input = new PassThrough();
    const written: Buffer[] = [];
    const done = converse(input, (b) => void written.push(Buffer.from(b)));
    input.write(frame('garbage'));
    input.write(frame('bye'));
    await done;
    const frames = new FrameReader().push(Buffer.concat(written).subarray(SLIM_HEADER.length));
    assert.match(
      String((deserialize(frames[0]!)[0] as string[])[1]),
      /^__EXCEPTION__:message:<<MALFORMED_INSTRUCTION the instructions are not a SLIM list/,
    );
  });
});
