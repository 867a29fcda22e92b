import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  check,
  checkSet,
  fromJSONL,
  History,
  HistoryError,
  models,
  operationsOf,
  toJSONL,
  type HistoryEvent,
  type Model,
} from '../../src/history/index.js';
import { generate } from './generate.js';

/** Events by hand: [process, type, f, value] in time order (time = position). */
const h = (...rows: [number, HistoryEvent['type'], string, unknown][]): HistoryEvent[] =>
  rows.map(([process, type, f, value], time) => ({ process, type, f, value, time }));

/** A sequential tail after a history whose operations all completed: op after op, nothing concurrent. */
function then(events: HistoryEvent[], ...ops: [string, unknown, 'ok' | 'fail' | 'info', unknown?][]): HistoryEvent[] {
  let time = (events.at(-1)?.time ?? 0) + 10;
  const out = [...events];
  for (const [f, value, type, answer] of ops) {
    out.push({ process: 'tail', type: 'invoke', f, value, time: time++ });
    out.push({ process: 'tail', type, f, value: answer === undefined ? value : answer, time: time++ });
  }
  return out;
}

describe('linearizability: generated histories', () => {
  test('a real register behind a random schedule is accepted (with info and failed operations)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(0, 0.1, 0.3),
        async (seed, ops, processes, infoRate) => {
          const events = generate({ ops, processes, infoRate, seed });
          const r = await check(events, models.casRegister());
          assert.equal(r.valid, true, JSON.stringify({ seed, ops, processes, infoRate, r }));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('each mutation is rejected, naming the operation that cannot be placed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 }), async (seed) => {
        const base = generate({ ops: 60, processes: 4, infoRate: 0.1, seed });
        // Values the generated prefix never writes (it writes 0-4): nothing there can explain the tail.
        const mutations: [string, HistoryEvent[]][] = [
          ['stale read', then(base, ['write', 100, 'ok'], ['write', 101, 'ok'], ['read', null, 'ok', 100])],
          ['lost write', then(base, ['write', 100, 'ok'], ['cas', [100, 101], 'ok'], ['read', null, 'ok', 100])],
          [
            'cas that succeeded twice',
            then(base, ['write', 100, 'ok'], ['cas', [100, 101], 'ok'], ['cas', [100, 102], 'ok']),
          ],
        ];
        for (const [name, events] of mutations) {
          const r = await check(events, models.casRegister());
          assert.equal(r.valid, false, `${name} (seed ${seed})`);
          const culprit = operationsOf(events).at(-1)!;
          assert.deepEqual(
            [r.op?.f, r.op?.input, r.op?.output],
            [culprit.f, culprit.input, culprit.output],
            `${name}: the last operation is the one that cannot be placed (seed ${seed})`,
          );
          assert.ok(r.prefix && r.prefix.length > 0);
          assert.ok(r.states && r.states.length > 0);
        }
      }),
      { numRuns: 60 },
    );
  });

  test("a kv history split by key gives the whole search's verdict", async () => {
    // The same store checked as one state (every key in it) without the split.
    const inner = models.casRegister();
    const whole: Model<Record<string, unknown>> = {
      name: 'kv-whole',
      init: () => ({}),
      step(state, f, input, output) {
        const [k, v] = input as [number, unknown];
        const r = inner.step(
          state[k] ?? null,
          f,
          v,
          output === undefined ? undefined : (output as [number, unknown])[1],
        );
        return { ok: r.ok, state: r.ok ? { ...state, [k]: r.state } : state };
      },
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 }), fc.boolean(), async (seed, mutate) => {
        let events = generate({ ops: 24, processes: 3, infoRate: 0.1, keys: 3, seed });
        if (mutate) {
          // A read of a value nobody wrote to that key: invalid, whatever the rest.
          const i = events.findIndex((e) => e.type === 'ok' && e.f === 'read');
          if (i >= 0) events = events.map((e, j) => (j === i ? { ...e, value: [(e.value as [number])[0], 99] } : e));
        }
        const split = await check(events, models.kv());
        const one = await check(events, whole);
        assert.equal(split.valid, one.valid, `seed ${seed}, mutated ${mutate}`);
      }),
      { numRuns: 100 },
    );
  });
});

describe("Jepsen's semantics for fail and info", () => {
  test('a fail did not happen', async () => {
    const events = h(
      [1, 'invoke', 'write', 1],
      [1, 'fail', 'write', 1],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', 1],
    );
    assert.equal((await check(events, models.register())).valid, false);
    const without = h(
      [1, 'invoke', 'write', 1],
      [1, 'fail', 'write', 1],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', null],
    );
    assert.equal((await check(without, models.register())).valid, true);
  });

  test('an info may happen at any time after its invoke, or never, and stays open to the end', async () => {
    const reg = models.register();
    const info = (...reads: unknown[]): HistoryEvent[] =>
      h(
        [1, 'invoke', 'write', 1],
        [1, 'info', 'write', undefined],
        ...reads.flatMap((v) => [
          [2, 'invoke', 'read', null] as [number, HistoryEvent['type'], string, unknown],
          [2, 'ok', 'read', v] as [number, HistoryEvent['type'], string, unknown],
        ]),
      );
    assert.equal((await check(info(null), reg)).valid, true, 'it may not have happened');
    assert.equal((await check(info(1), reg)).valid, true, 'it may have happened');
    assert.equal((await check(info(null, null, 1, 1), reg)).valid, true, 'it may happen late, long after its info');
    assert.equal((await check(info(1, null), reg)).valid, false, 'but once seen it happened');
  });

  test('an invoke with no completion is an info; a completion with no value keeps the invoke’s', async () => {
    const events: HistoryEvent[] = h([1, 'invoke', 'write', 7], [2, 'invoke', 'read', null], [2, 'ok', 'read', 7]);
    assert.equal((await check(events, models.register())).valid, true);
    const ops = operationsOf(h([1, 'invoke', 'write', 3], [1, 'info', 'write', undefined]));
    assert.deepEqual([ops[0]!.type, ops[0]!.input, ops[0]!.ret], ['info', 3, Infinity]);
  });

  test('an empty history is valid; a completion with no invoke is an error naming the event', async () => {
    assert.equal((await check([], models.casRegister())).valid, true);
    assert.throws(
      () => operationsOf(h([1, 'ok', 'read', 1])),
      (err: Error) =>
        err instanceof HistoryError &&
        /event 0: process 1 completed read \(ok\) with no invoke pending/.test(err.message),
    );
  });

  test("'unknown' when the time runs out", async () => {
    const events = generate({ ops: 3_000, processes: 10, infoRate: 0.3, seed: 7 });
    const r = await check(events, models.casRegister(), { timeout: 0 });
    assert.ok(r.valid === 'unknown' || r.valid === true, `${r.valid}`);
    if (r.valid === 'unknown') assert.equal(r.reason, 'timeout');
  });
});

describe('recording', () => {
  test('History.run records around a call: ok with its result, fail for a refusal, info otherwise; JSON Lines round trip', async () => {
    const history = new History();
    assert.equal(await history.run(1, 'write', 5, async () => undefined), undefined);
    assert.equal(await history.run(1, 'read', null, async () => 5), 5);
    await assert.rejects(
      history.run(2, 'write', 6, async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }),
    );
    await assert.rejects(
      history.run(3, 'write', 7, async () => {
        throw new Error('timed out');
      }),
    );
    assert.deepEqual(
      history.events.map((e) => `${e.process} ${e.type} ${e.f} ${JSON.stringify(e.value)}`),
      [
        '1 invoke write 5',
        '1 ok write 5',
        '1 invoke read null',
        '1 ok read 5',
        '2 invoke write 6',
        '2 fail write 6',
        '3 invoke write 7',
        '3 info write 7',
      ],
    );
    assert.equal(history.events[7]!.error, 'timed out');
    assert.ok(history.events.every((e, i) => i === 0 || e.time >= history.events[i - 1]!.time));
    assert.deepEqual(fromJSONL(toJSONL(history.events)), history.events);
    const once = history.invoke(9, 'read');
    once.ok(1);
    assert.throws(() => once.ok(2), /process 9's read was completed already/);
    const busy = new History();
    busy.invoke(1, 'read');
    assert.throws(() => busy.invoke(1, 'write', 2), /process 1 invoked write while its read is pending/);
    assert.throws(() => fromJSONL('{"process":1}\n'), /line 1: an event needs process, type/);
  });
});

describe('the set checker (set-full)', () => {
  test('lost, stale, never-read and phantom elements, each with the operations that prove it', () => {
    const events = h(
      [1, 'invoke', 'add', 1],
      [1, 'ok', 'add', 1],
      [1, 'invoke', 'add', 2],
      [1, 'ok', 'add', 2],
      [1, 'invoke', 'add', 3],
      [1, 'info', 'add', 3],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', [1, 2, 3]],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', [2, 3]],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', [2, 3, 9]],
      [3, 'invoke', 'add', 4],
      [3, 'ok', 'add', 4],
    );
    const r = checkSet(events);
    assert.equal(r.valid, false);
    assert.deepEqual(
      r.lost.map((p) => p.element),
      [1],
    );
    assert.deepEqual(r.lost[0]!.read!.value, [2, 3, 9], 'the last read that missed it');
    assert.deepEqual(
      r.phantom.map((p) => p.element),
      [9],
    );
    assert.deepEqual(
      r.neverRead.map((p) => p.element),
      [4],
    );
    assert.deepEqual(r.stale, []);
    const stale = checkSet(
      h(
        [1, 'invoke', 'add', 5],
        [1, 'ok', 'add', 5],
        [2, 'invoke', 'read', null],
        [2, 'ok', 'read', []],
        [2, 'invoke', 'read', null],
        [2, 'ok', 'read', [5]],
      ),
    );
    assert.equal(stale.valid, true);
    assert.deepEqual(
      stale.stale.map((p) => [p.element, p.read!.value, p.seenAgainBy!.value]),
      [[5, [], [5]]],
    );
  });
});

describe('roc report', () => {
  test('a history and its faults as JSON Lines become one HTML page; --model adds the verdict and its exit code', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { repoRoot } = await import('../helpers.js');
    const dir = mkdtempSync(join(tmpdir(), 'roc-report-cli-'));
    const history = new History();
    await history.run(1, 'write', 1, async () => undefined);
    await history.run(2, 'read', null, async () => 1);
    writeFileSync(join(dir, 'h.jsonl'), history.toJSONL());
    writeFileSync(
      join(dir, 'faults.jsonl'),
      `${JSON.stringify({ kind: 'partition', description: 'partition n1 | n2', startedAt: history.origin.wallMs, healedAt: history.origin.wallMs + 5 })}\n`,
    );
    const roc = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');
    const run = promisify(execFile);
    const ok = await run(
      process.execPath,
      [roc, 'report', 'h.jsonl', '--faults', 'faults.jsonl', '--model', 'cas-register', '-o', 'out/report.html'],
      { cwd: dir },
    );
    assert.equal(ok.stdout, '4 events, valid as cas-register; report: out/report.html\n');
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script src=|<link [^>]*href="http/, 'self-contained: nothing from the network');
    assert.match(html, /partition n1 \| n2/);
    // A stale read: exit 1, and the same page says so.
    const stale = history.events.map((e, i) => (i === 3 ? { ...e, value: 7 } : e));
    writeFileSync(join(dir, 'bad.jsonl'), toJSONL(stale));
    const bad = await run(process.execPath, [roc, 'report', 'bad.jsonl', '--model', 'cas-register'], {
      cwd: dir,
    }).catch((e: { code: number; stdout: string }) => e);
    assert.equal((bad as { code: number }).code, 1);
    assert.match((bad as { stdout: string }).stdout, /NOT linearizable as cas-register/);
    const wrong = await run(process.execPath, [roc, 'report', 'h.jsonl', '--model', 'queue'], { cwd: dir }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.match(
      (wrong as { stderr: string }).stderr,
      /^roc report: --model is one of register, cas-register, kv, set, counter, got "queue"\n$/,
    );
  });
});
