import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, LeaseTable } from '../../src/agent/index.js';
import { remoteInfo, remoteModule, serverProxy } from '../../src/index.js';
import { retryUntil } from '../../src/wire/index.js';
import { example, repoRoot } from '../helpers.js';

describe('leases: objects belong to the client that made them', () => {
  test("a killed host process's objects are freed once its lease lapses; a live client's and a lease-less client's are kept", async () => {
    const log: string[] = [];
    const agent = await Agent.start({
      modules: [example('remote_class.js')],
      port: 0,
      leaseTtlMs: 600,
      log: (l) => log.push(l),
    });
    const live = serverProxy('127.0.0.1', agent.port);
    const lookOnly = serverProxy('127.0.0.1', agent.port, { lease: false });
    try {
      const mine = await remoteModule(live).RemoteClass!(1, 2, 3);
      const python = await remoteModule(lookOnly).RemoteClass!(4, 5, 6);
      // Another host process makes two objects, then dies without a word.
      const dir = mkdtempSync(join(tmpdir(), 'roc-lease-'));
      writeFileSync(
        join(dir, 'host.mjs'),
        `import { serverProxy, remoteModule } from '${join(repoRoot, 'dist', 'src', 'index.js')}';
const m = remoteModule(serverProxy('127.0.0.1', ${agent.port}));
const a = await m.RemoteClass(1, 1, 1);
const b = await m.RemoteClass(2, 2, 2);
console.log(JSON.stringify([a, b].map((o) => JSON.parse(JSON.stringify(o)).handle)));
process.kill(process.pid, 'SIGKILL');`,
      );
      const child = spawn(process.execPath, [join(dir, 'host.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise((r) => child.once('exit', r));
      const theirs = JSON.parse(out) as string[];
      assert.equal(theirs.length, 2);
      assert.ok((await lookOnly.instances()).includes(theirs[0]!));

      // This client makes no call while it waits: only its renewals keep its object.
      await retryUntil(
        10_000,
        50,
        async () => !(await lookOnly.instances()).includes(theirs[0]!),
        () => new Error(`the dead client's objects are still there: ${log.join('\n')}`),
      );
      const left = await lookOnly.instances();
      assert.ok(!left.includes(theirs[1]!));
      assert.ok(left.includes(remoteInfo(mine).handle), "the live client's object is kept");
      assert.ok(left.includes(remoteInfo(python).handle), 'an object made without a lease is kept');
      assert.equal(await mine.add(1, 2), 3);
      const lapsed = log.find((l) => l.includes(theirs[0]!));
      assert.match(
        lapsed ?? '',
        new RegExp(
          `^lease [A-Za-z0-9_-]+ of 127\\.0\\.0\\.1 lapsed \\(no call for 600 ms\\): freed its 2 object\\(s\\): ${theirs[0]}, ${theirs[1]}$`,
        ),
      );
    } finally {
      live.close();
      lookOnly.close();
      await agent.close(100);
    }
  });

  test('lease() says the TTL and how many objects the caller holds; every answer to the first call tells the client the TTL', async () => {
    const agent = await Agent.start({ modules: [example('remote_class.js')], port: 0, leaseTtlMs: 45_000 });
    const p = serverProxy('127.0.0.1', agent.port);
    try {
      await remoteModule(p).RemoteClass!(1, 2, 3);
      await remoteModule(p).RemoteClass!(1, 2, 3);
      assert.deepEqual({ ...(await p.call<object>('lease')) }, { ttlMs: 45_000, objects: 2 });
      assert.equal(p.lease?.objects, 2);
      const ping = await p.ping();
      assert.equal(ping.leases, 1);
      assert.equal(ping.leaseTtlMs, 45_000);
    } finally {
      p.close();
      await agent.close(100);
    }
  });
});

describe('LeaseTable', () => {
  test('a lease lapses a TTL after its last renewal; its handles go with it, and a TTL of 0 never lapses', () => {
    const t = new LeaseTable(1_000);
    t.renew('client-aaaaaaaa', '10.0.0.1', 0);
    t.own('client-aaaaaaaa', 'A_0');
    t.own('client-aaaaaaaa', 'A_1');
    t.disown('A_1');
    t.renew('client-aaaaaaaa', '10.0.0.1', 500);
    assert.deepEqual(t.takeLapsed(1_400), []);
    assert.deepEqual(t.takeLapsed(1_500), [{ id: 'client-aaaaaaaa', from: '10.0.0.1', handles: ['A_0'] }]);
    assert.equal(t.size, 0);
    const never = new LeaseTable(0);
    never.renew('client-bbbbbbbb', '10.0.0.2', 0);
    never.own('client-bbbbbbbb', 'B_0');
    assert.deepEqual(never.takeLapsed(Number.MAX_SAFE_INTEGER), []);
    assert.equal(never.size, 1, 'a lease that holds an object is kept');
  });

  test('with a TTL of 0, leases that hold nothing are not kept forever', () => {
    const t = new LeaseTable(0);
    for (let i = 0; i < 20_000; i++) {
      const id = `client-${String(i).padStart(8, '0')}`;
      t.renew(id, '10.0.0.3');
      t.told(id);
    }
    t.renew('client-holding', '10.0.0.3');
    t.told('client-holding');
    t.own('client-holding', 'H_0');
    assert.deepEqual(t.takeLapsed(), []);
    assert.equal(t.size, 1, 'only the lease that holds an object is left');
  });
});
