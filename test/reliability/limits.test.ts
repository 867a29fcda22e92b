import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, FaultCode, RemoteError, remoteInfo, remoteModule, serverProxy } from '../../src/index.js';
import { fixture, rejection, withAgent } from '../helpers.js';

test('live handles per agent: past the limit a fault, not memory exhaustion', async () => {
  await withAgent({ maxHandles: 5 }, async (agent) => {
    const proxy = serverProxy('127.0.0.1', agent.port);
    const M = remoteModule(proxy);
    const kept = [];
    for (let i = 0; i < 5; i++) kept.push(await M.Point!(i, i));
    const err = await rejection(M.Point!(9, 9));
    assert.ok(err instanceof RemoteError);
    assert.equal(err.faultCode, FaultCode.HANDLE_LIMIT);
    assert.match(
      err.message,
      /HandleLimitError: the agent holds 5 live objects, its limit \(--max-handles\); release objects you no longer need/,
    );
    assert.equal(agent.handles.size, 5);
    assert.equal(await kept[0]!.norm(), 0, 'existing objects still work');
    proxy.close();
  });
});

test('concurrent calls past --max-concurrent get BusyError; the rest run', async () => {
  await withAgent({ maxConcurrent: 3, modules: [fixture('gate.js')] }, async (agent) => {
    const proxy = serverProxy('127.0.0.1', agent.port);
    const gate = await remoteModule(proxy).Gate!();
    // The gate is opened here, in the agent's own process: a call to open it would be refused too.
    const local = agent.handles.get(remoteInfo(gate).handle).object as { waiting: number; open(): number };
    const held = Array.from({ length: 3 }, (_, i) => gate.wait(i));
    await eventually(() => local.waiting === 3, { timeout: 5_000, interval: 5 });
    const refused = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => gate.wait(10 + i)));
    local.open();
    assert.deepEqual(await Promise.all(held), [0, 1, 2]);
    assert.deepEqual(
      refused.map((r) => r.status),
      ['rejected', 'rejected', 'rejected'],
    );
    for (const b of refused as PromiseRejectedResult[]) {
      assert.equal(b.reason.faultCode, FaultCode.BUSY);
      assert.match(
        b.reason.message,
        /BusyError: the agent is running 3 calls, its limit \(--max-concurrent\); the call was not run, try again/,
      );
    }
    assert.equal(await gate.waiting, 0);
    proxy.close();
  });
});

test('nesting depth is a flag: deeper arguments are refused with a parse fault', async () => {
  await withAgent({ maxDepth: 4 }, async (agent) => {
    const proxy = serverProxy('127.0.0.1', agent.port);
    const inst = await remoteModule(proxy).RemoteClass!(1, 2, 3);
    assert.deepEqual(await inst.echo([[[['ok']]]]), [[[['ok']]]]);
    const err = await rejection(inst.echo([[[[['too deep']]]]]));
    assert.ok(err instanceof RemoteError);
    assert.equal(err.faultCode, FaultCode.PARSE_ERROR);
    assert.match(err.message, /values nested more than 4 arrays or structs deep/);
    proxy.close();
  });
});

test('header timeout: a client that never finishes its headers is cut off', async () => {
  const net = await import('node:net');
  await withAgent({ headerTimeoutMs: 300, requestTimeoutMs: 300 }, async (agent) => {
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      const s = net.connect(agent.port, '127.0.0.1', () => s.write('POST / HTTP/1.1\r\nHost: x\r\n'));
      s.on('data', () => {});
      s.on('close', () => resolve(Date.now() - started));
      s.on('error', () => {});
    });
    assert.ok(closedAfter < 5_000, `closed after ${closedAfter} ms`);
    const proxy = serverProxy('127.0.0.1', agent.port);
    assert.deepEqual(await proxy.classes(), ['Point', 'RemoteClass']);
    proxy.close();
  });
});
