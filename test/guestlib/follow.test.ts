import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../src/agent/index.js';
import { eventually, loadTopology, serverProxy, type Guest, type Topology } from '../../src/index.js';
import { isRunning } from '../../src/lab/index.js';

let agent: Agent;
let topology: Topology;
let web1: Guest;
let dir: string;

before(async () => {
  agent = await Agent.start({ modules: [], port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'roc-follow-'));
  writeFileSync(join(dir, 'roc.yml'), `guests:\n  web1: { host: 127.0.0.1, port: ${agent.port}, timeout: 4s }\n`);
  topology = loadTopology(join(dir, 'roc.yml'));
  web1 = topology.guest('web1');
});
after(async () => {
  topology.close();
  await agent.close(100);
});

/** Takes n items from an async iterator, with a deadline. */
async function take<T>(it: AsyncIterator<T>, n: number, what: string): Promise<T[]> {
  const out: T[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < n) {
    if (Date.now() > deadline) throw new Error(`${what}: got ${JSON.stringify(out)} of ${n} within 10 s`);
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('files.follow: tail -F on the guest', () => {
  test('from the end: every line appended once follow() resolved, even before the first read; partial lines wait for their newline', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, 'old 1\nold 2\n');
    const lines = await web1.lib.files.follow(file);
    appendFileSync(file, 'new 1\nnew 2\npart');
    const it = lines[Symbol.asyncIterator]();
    assert.deepEqual(await take(it, 2, 'appended'), ['new 1', 'new 2']);
    appendFileSync(file, 'ial\n');
    assert.deepEqual(await take(it, 1, 'completed'), ['partial']);
    await it.return!();
  });

  test('survives rotation (the old file read to its end first) and truncation', async () => {
    const file = join(dir, 'rotated.log');
    writeFileSync(file, '');
    const it = (await web1.lib.files.follow(file))[Symbol.asyncIterator]();
    appendFileSync(file, 'a\n');
    assert.deepEqual(await take(it, 1, 'before rotation'), ['a']);
    appendFileSync(file, 'b\n');
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'c\n'); // still written by the old writer
    writeFileSync(file, 'd\n');
    assert.deepEqual(await take(it, 3, 'across rotation'), ['b', 'c', 'd']);
    appendFileSync(file, 'a longer line before the truncation\n');
    assert.deepEqual(await take(it, 1, 'before truncation'), ['a longer line before the truncation']);
    // Seen as tail -F sees it: the file shrank.
    truncateSync(file, 0);
    appendFileSync(file, 'e\n');
    assert.deepEqual(await take(it, 1, 'after truncation'), ['e']);
    await it.return!();
  });

  test('waits for a file that does not exist yet; from the start, and the last lines', async () => {
    const file = join(dir, 'later.log');
    const it = (await web1.lib.files.follow(file))[Symbol.asyncIterator]();
    writeFileSync(file, 'first\nsecond\n');
    assert.deepEqual(await take(it, 2, 'created later'), ['first', 'second']);
    await it.return!();
    const whole = (await web1.lib.files.follow(file, { from: 'start' }))[Symbol.asyncIterator]();
    assert.deepEqual(await take(whole, 2, 'from the start'), ['first', 'second']);
    await whole.return!();
    appendFileSync(file, 'third\n');
    const last = (await web1.lib.files.follow(file, { lines: 2 }))[Symbol.asyncIterator]();
    assert.deepEqual(await take(last, 2, 'last lines'), ['second', 'third']);
    await last.return!();
    const instances = await web1.proxy.instances();
    assert.deepEqual(
      instances.filter((h) => h.startsWith('AsyncIterator_')),
      [],
      'each follow ended is gone from the agent',
    );
  });
});

describe('command.stream', () => {
  test('output as it comes, then the exit code', async () => {
    const chunks = [];
    for await (const c of await web1.lib.command.stream('sh', ['-c', 'echo out; echo err >&2; exit 3'])) chunks.push(c);
    const out = chunks
      .filter((c) => c.stream === 'stdout')
      .map((c) => c.data)
      .join('');
    const err = chunks
      .filter((c) => c.stream === 'stderr')
      .map((c) => c.data)
      .join('');
    assert.equal(out, 'out\n');
    assert.equal(err, 'err\n');
    assert.deepEqual({ ...chunks.at(-1) }, { stream: 'exit', data: '', exitCode: 3, signal: null });
  });

  test('leaving the loop early stops the command; a missing program is an error that says so', async () => {
    const seen: string[] = [];
    for await (const c of await web1.lib.command.stream('sh', ['-c', 'while :; do echo tick; sleep 0.05; done'])) {
      seen.push(c.data);
      if (seen.length === 2) break;
    }
    assert.equal(seen.length, 2);
    await assert.rejects(async () => {
      for await (const c of await web1.lib.command.stream('no-such-program-xyz')) void c;
    }, /GuestCommandError: cannot run no-such-program-xyz: no such program on the guest's PATH/);
  });

  test('the command is stopped when the loop leaves early, and when the agent closes in the middle of a stream', async () => {
    const pidOf = (chunk: { data: string }): number => Number(chunk.data.trim());
    let first = 0;
    for await (const c of await web1.lib.command.stream('sh', ['-c', 'echo $$; exec sleep 60'])) {
      first = pidOf(c);
      await eventually(() => readFileSync(`/proc/${first}/cmdline`, 'utf8').startsWith('sleep'), { timeout: 5_000 });
      break;
    }
    await eventually(() => !isRunning(first), { timeout: 5_000, message: `pid ${first} stopped when the loop left` });
    const second = await Agent.start({ modules: [], port: 0 });
    const proxy = serverProxy('127.0.0.1', second.port);
    const chunks = (
      (await proxy.call('roc.command.stream', 'sh', ['-c', 'echo $$; exec sleep 60'])) as AsyncIterable<{
        data: string;
      }>
    )[Symbol.asyncIterator]();
    const pid = pidOf((await chunks.next()).value as { data: string });
    assert.ok(isRunning(pid));
    await second.close(100);
    await eventually(() => !isRunning(pid), { timeout: 5_000, message: `pid ${pid} stopped with its agent` });
    proxy.close();
  });
});
