import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../src/agent/index.js';
import {
  eventually,
  remoteModule,
  RemoteError,
  serverProxy,
  StaleHandleError,
  type RemoteIterable,
} from '../../src/index.js';
import { HttpTransport } from '../../src/wire/index.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, rejection, repoRoot } from '../helpers.js';

interface Numbers {
  count(n: number, delayMs?: number): Promise<RemoteIterable<number>>;
  forever(size?: number): Promise<RemoteIterable<number | string>>;
  failing(n: number): Promise<RemoteIterable<number>>;
  slow(ms: number): Promise<RemoteIterable<string>>;
  stats(): Promise<{ produced: number; cleanedUp: number }>;
}

async function withNumbers(
  body: (n: Numbers, proxy: ReturnType<typeof serverProxy>, agent: Agent) => Promise<void>,
): Promise<void> {
  await using agent = await Agent.start({ modules: [fixture('streams.js')], port: 0 });
  await using proxy = serverProxy('127.0.0.1', agent.port, { timeout: 2_000 });
  const n = (await remoteModule(proxy).Numbers!()) as unknown as Numbers;
  await body(n, proxy, agent);
}

describe('remote async iterators', () => {
  test('for await gets every item in order, in batches, and the handle goes when the loop ends', async () => {
    await withNumbers(async (n, proxy) => {
      const it = await n.count(1000);
      assert.equal((await proxy.instances()).filter((h) => h.startsWith('AsyncIterator_')).length, 1);
      const got: number[] = [];
      for await (const x of it) got.push(x);
      assert.deepEqual(
        got,
        Array.from({ length: 1000 }, (_, i) => i),
      );
      assert.deepEqual(
        (await proxy.instances()).filter((h) => h.startsWith('AsyncIterator_')),
        [],
        'the iterator ran to its end: its handle is gone',
      );
    });
  });

  test('items that take time arrive as they come; a long poll answers empty and the next one continues', async () => {
    await withNumbers(async (n) => {
      const got: number[] = [];
      for await (const x of await n.count(5, 30)) got.push(x);
      assert.deepEqual(got, [0, 1, 2, 3, 4]);
      // The proxy's deadline is 2 s, so each pull waits 1 s: the item after 1.5 s needs two pulls.
      const late: string[] = [];
      for await (const x of await n.slow(1_500)) late.push(x);
      assert.deepEqual(late, ['late']);
    });
  });

  test('a slow consumer: the agent reads no further ahead than one batch', async () => {
    await withNumbers(async (n) => {
      let seen = 0;
      for await (const x of await n.forever()) {
        void x;
        seen++;
        if (seen % 100 === 0) {
          const { produced } = await n.stats();
          assert.ok(produced <= seen + 256, `produced ${produced} for ${seen} consumed`);
        }
        if (seen === 2_000) break;
      }
      const { produced, cleanedUp } = await n.stats();
      assert.ok(produced <= 2_000 + 256, `produced ${produced}`);
      assert.equal(cleanedUp, 1, "break ran the generator's finally on the agent");
    });
  });

  test('a pull that fails ends the source on the agent too, not only on the host', async () => {
    // The agent answers the long poll with its call deadline (300 ms) before the slow source's first item.
    await using agent = await Agent.start({ modules: [fixture('streams.js')], port: 0, callTimeoutMs: 300 });
    await using proxy = serverProxy('127.0.0.1', agent.port, { timeout: 2_000 });
    const n = (await remoteModule(proxy).Numbers!()) as unknown as Numbers;
    await assert.rejects(async () => {
      for await (const x of await n.slow(60_000)) void x;
    }, /call deadline/);
    await eventually(async () => (await proxy.instances()).filter((h) => h.startsWith('AsyncIterator_')).length === 0, {
      timeout: 5_000,
      message: "the iterator's handle to be freed on the agent",
    });
  });

  test('break frees it on the agent at once; so does a throw in the loop', async () => {
    await withNumbers(async (n, proxy) => {
      const iterators = async (): Promise<number> =>
        (await proxy.instances()).filter((h) => h.startsWith('AsyncIterator_')).length;
      for await (const x of await n.forever()) if (x === 3) break;
      assert.equal(await iterators(), 0);
      await assert.rejects(async () => {
        for await (const x of await n.forever()) if (x === 3) throw new Error('the test stops here');
      }, /the test stops here/);
      assert.equal(await iterators(), 0);
      assert.equal((await n.stats()).cleanedUp, 2);
      // Released without iterating: await using, or release().
      {
        await using unused = await n.forever();
        assert.equal(await iterators(), 1);
        void unused;
      }
      assert.equal(await iterators(), 0);
    });
  });

  test("the source's error reaches the loop after the items before it", async () => {
    await withNumbers(async (n, proxy) => {
      const got: number[] = [];
      const err = await rejection(
        (async () => {
          for await (const x of await n.failing(3)) got.push(x);
        })(),
      );
      assert.deepEqual(got, [0, 1, 2]);
      assert.ok(err instanceof RemoteError, String(err));
      assert.equal(err.remoteName, 'RangeError');
      assert.match(
        err.message,
        /AsyncIterator_\w+\.next on 127\.0\.0\.1:\d+ failed: RangeError: the source broke after 3 items/,
      );
      assert.deepEqual(
        (await proxy.instances()).filter((h) => h.startsWith('AsyncIterator_')),
        [],
      );
    });
  });

  test('an agent restart mid-stream: the next pull fails with StaleHandleError', async () => {
    const first = await Agent.start({ modules: [fixture('streams.js')], port: 0 });
    const port = first.port;
    const proxy = serverProxy('127.0.0.1', port, { timeout: 2_000 });
    const n = (await remoteModule(proxy).Numbers!()) as unknown as Numbers;
    const it = (await n.count(10_000))[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { value: 0, done: false });
    await first.close(100);
    // Wait until the client has read the old run's FIN, so the next pull meets the new run.
    await eventually(() => (proxy.transport as HttpTransport).idleConnections === 0, { timeout: 5_000, interval: 5 });
    await using second = await Agent.start({ modules: [fixture('streams.js')], port });
    void second;
    // The client still holds the first batch; past it, the next pull meets the new run.
    let err: unknown;
    try {
      for (let i = 0; i < 10_000; i++) await it.next();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof StaleHandleError, String(err));
    assert.match(
      (err as Error).message,
      /^AsyncIterator_\w+\.next on 127\.0\.0\.1:\d+ failed: StaleHandleError: .* the agent restarted since/,
    );
    proxy.close();
  });

  test("a killed host's iterator is freed when its lease lapses, and the source's finally runs", async () => {
    await using agent = await Agent.start({ modules: [fixture('streams.js')], port: 0, leaseTtlMs: 2_000 });
    await using watcher = serverProxy('127.0.0.1', agent.port, { lease: false });
    const numbers = String(await watcher.create('Numbers', []));
    // Another host process starts a loop over a generator, then dies in the middle of it without a word.
    const dir = mkdtempSync(join(tmpdir(), 'roc-iter-lease-'));
    writeFileSync(
      join(dir, 'host.mjs'),
      `import { serverProxy } from '${join(repoRoot, 'dist', 'src', 'index.js')}';
const items = await serverProxy('127.0.0.1', ${agent.port}).call('${numbers}.forever', 1);
for await (const x of items) {
  console.log(String(x));
  process.kill(process.pid, 'SIGKILL');
}`,
    );
    const child = spawn(process.execPath, [join(dir, 'host.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.once('exit', r));
    assert.equal(out, '0\n');
    const iterators = async (): Promise<string[]> =>
      ((await watcher.instances()) as string[]).filter((h) => h.startsWith('AsyncIterator_'));
    assert.equal((await iterators()).length, 1, 'the dead host left its iterator');
    await eventually(async () => (await iterators()).length === 0, {
      timeout: 10_000,
      message: "the dead host's iterator freed",
    });
    assert.equal(((await watcher.call(`${numbers}.stats`)) as { cleanedUp: number }).cleanedUp, 1);
  });

  test('a remote iterator can be iterated once', async () => {
    await withNumbers(async (n) => {
      const it = await n.count(3);
      it[Symbol.asyncIterator]();
      assert.throws(
        () => it[Symbol.asyncIterator](),
        /is being iterated already: a remote iterator can be iterated once/,
      );
    });
  });
});
