import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Agent } from '../../src/agent/index.js';
import {
  ConnectionError,
  RemoteError,
  remoteInfo,
  remoteModule,
  serverProxy,
  UnknownClassError,
} from '../../src/index.js';
import { example, fixture, rejection, repoRoot } from '../helpers.js';

const execFileAsync = promisify(execFile);
const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : undefined;
const skip = python ? false : 'python3 is not on this machine; these interop tests need it';
if (skip) console.log(`# SKIP python interop: ${skip}`);

const script = (name: string): string => join(repoRoot, 'test', 'interop', name);

describe('Python 3 stdlib xmlrpc.client -> ROC agent', { skip }, () => {
  test("the original client's whole session works unchanged", async () => {
    const agent = await Agent.start({ modules: [example('remote_class.js')], port: 0 });
    let out: Record<string, { ok?: unknown; fault?: number; string?: string; error?: string }>;
    try {
      const { stdout } = await execFileAsync(python!, [script('python_client.py'), `http://127.0.0.1:${agent.port}/`], {
        timeout: 30_000,
      });
      out = JSON.parse(stdout);
    } finally {
      await agent.close(100);
    }
    for (const [name, r] of Object.entries(out)) assert.equal(r.error, undefined, `${name}: ${r.error}`);
    assert.deepEqual(out.classes!.ok, ['Point', 'RemoteClass']);
    assert.equal(out.add_int!.ok, 5);
    assert.equal(out.add_float!.ok, 3.75);
    assert.equal(out.add_str!.ok, 'foobar');
    assert.equal(out.echo_true!.ok, true);
    assert.equal(out.echo_none!.ok, null);
    assert.equal(out.echo_unicode!.ok, 'unicode ü € <&> 🀜');
    assert.deepEqual(out.echo_list!.ok, [1, 'two', 3.5, null, false]);
    assert.deepEqual(out.echo_struct!.ok, { k: 'v', n: { l: [1, 2] } });
    assert.deepEqual(out.echo_tuple!.ok, [1, 2]);
    assert.deepEqual(out.echo_binary!.ok, { binary: '\u0000\u0001\u00ff' });
    assert.deepEqual(out.echo_datetime!.ok, { datetime: '20200102T03:04:05' });
    assert.equal(out.echo_min_int!.ok, -2147483648);
    assert.equal(out.echo_big_string!.ok, 100000);
    assert.deepEqual(out.describe!.ok, { a: 1, b: 2, c: 3 });
    assert.equal(out.incr1!.ok, 1);
    assert.equal(out.incr2!.ok, 2);
    assert.equal(out.nothing!.ok, null);
    const point = out.point!.ok as Record<string, string>;
    assert.equal(point['roc:class'], 'Point');
    assert.match(point['roc:handle']!, /^Point_[0-9a-f]{8}_\d+$/);
    assert.deepEqual(out.plain!.ok, { x: 1, y: 2 });
    assert.equal(out.now_type!.ok, 'DateTime');
    assert.deepEqual(out.boom, { fault: 1, string: 'ValueError: bad thing' });
    assert.equal(out.private!.fault, -32601);
    assert.match(out.private!.string!, /RemoteClass has no public method "_private"/);
    assert.equal(out.nonexistent!.fault, -32601);
    assert.equal(out.create_unknown!.fault, -32602);
    assert.match(out.create_unknown!.string!, /no class "Nope" on this agent; it serves Point, RemoteClass/);
    assert.match(String(out.create_no_args!.ok), /^Point_[0-9a-f]{8}_\d+$/);
    assert.match(String(out.create_none_args!.ok), /^Point_[0-9a-f]{8}_\d+$/);
    assert.ok((out.instances!.ok as string[]).some((h) => h.startsWith('RemoteClass_')));
    assert.equal(out.list_methods_has_add!.ok, true);
    assert.match(String(out.method_help!.ok), /^create\(className, args\)/);
    assert.equal(out.method_signature!.ok, 'signatures not supported');
    const mc = out.multicall!.ok as unknown[];
    assert.deepEqual(mc[0], ['Point', 'RemoteClass']);
    assert.match(String(mc[1]), /^Point_/);
    assert.equal(out.fault_with_extras_type!.ok, 'Fault', "Python's Fault takes our extra members");
    assert.equal(out.shutdown!.ok, null);
  });
});

describe('Python 3 stdlib xmlrpc.client -> a remote async iterator', { skip }, () => {
  test('the handle, next(max, waitMs) until done, and return() to end early, with nothing but xmlrpc.client', async () => {
    const agent = await Agent.start({ modules: [fixture('streams.js')], port: 0 });
    let out: Record<string, any>;
    try {
      const { stdout } = await execFileAsync(
        python!,
        [script('python_iterator.py'), `http://127.0.0.1:${agent.port}/`],
        { timeout: 30_000 },
      );
      out = JSON.parse(stdout);
    } finally {
      await agent.close(100);
    }
    assert.equal(out.ref['roc:class'], 'AsyncIterator');
    assert.match(out.ref['roc:handle'], /^AsyncIterator_[0-9a-f]{8}_\d+$/);
    assert.deepEqual(
      out.items,
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.equal(out.batches, 3, '10 + 10 + 5, the last one done');
    assert.deepEqual(
      (out.after_end as string[]).filter((h) => h.startsWith('AsyncIterator_')),
      [],
      'an iterator that ended is freed on the agent',
    );
    assert.deepEqual(out.first, { items: [0, 1, 2], done: false });
    assert.equal(out.return, true);
    assert.deepEqual(out.stats, { produced: 28, cleanedUp: 1 }, "return() ran the generator's finally");
    assert.equal(out.after_return.fault, -32011);
    assert.match(out.after_return.string, /AsyncIterator_/);
  });
});

describe('ROC client -> Python SimpleXMLRPCServer speaking the original protocol', { skip }, () => {
  test('remoteModule, calls, faults, gzip and shutdown over HTTP/1.0', async () => {
    const child = spawn(python!, [script('python_roc_server.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = Number(
        await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout! }).once('line', resolve);
          child.once('exit', (code) => reject(new Error(`python server exited with ${code}`)));
        }),
      );
      const proxy = serverProxy('127.0.0.1', port);
      assert.equal(
        await proxy.waitUntilReady({ timeout: 5_000 }),
        undefined,
        'a Python agent has no ping(); classes() answers',
      );
      const M = remoteModule(proxy);
      const inst = await M.RemoteClass!(1, 2, 3);
      assert.equal(remoteInfo(inst).handle, 'RemoteClass_0');
      assert.equal(await inst.add(2, 3), 5);
      assert.equal(await inst.add(1.5, 2.25), 3.75);
      assert.equal(await inst.echo('Köln 🀜 <&>'), 'Köln 🀜 <&>');
      assert.deepEqual(JSON.parse(JSON.stringify(await inst.echo([1, 'two', null, { k: [true] }]))), [
        1,
        'two',
        null,
        { k: [true] },
      ]);
      const date = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
      assert.deepEqual(await inst.echo(date), date);
      assert.deepEqual(await inst.echo(Buffer.from([0, 1, 255])), Buffer.from([0, 1, 255]));
      const big = 'y'.repeat(20_000);
      assert.equal(await inst.echo(big), big, 'gzip answers (Python compresses above 1400 bytes) are inflated');
      assert.deepEqual({ ...(await inst.describe()) }, { a: 1, b: 2, c: 3 });

      const err = await rejection(inst.boom('bad thing'));
      assert.ok(err instanceof RemoteError);
      assert.equal(err.faultCode, 1);
      assert.equal(err.remoteName, 'ValueError');
      assert.equal(err.remoteMessage, 'bad thing');
      assert.equal(err.message, `RemoteClass_0.boom on 127.0.0.1:${port} failed: ValueError: bad thing`);

      const unknown = await rejection(M.Nope!());
      assert.ok(unknown instanceof UnknownClassError);
      assert.equal(unknown.message, `no class "Nope" on 127.0.0.1:${port}; it serves RemoteClass, Point`);

      const point = await M.Point!(3, 4);
      assert.deepEqual(await point.coords(), [3, 4]);
      assert.deepEqual(await proxy.instances(), ['RemoteClass_0', 'Point_0']);
      await proxy.shutdown();
      await new Promise((r) => child.once('exit', r));
      const gone = await rejection(proxy.classes());
      assert.ok(gone instanceof ConnectionError);
      assert.equal(gone.reason, 'refused');
      proxy.close();
    } finally {
      child.kill();
    }
  });
});
