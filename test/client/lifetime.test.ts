import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReleasedProxyError, remoteInfo, remoteModule, serverProxy } from '../../src/index.js';
import { fixture, rejection, withAgent } from '../helpers.js';

test('await using releases the object at the end of the block', async () => {
  await withAgent({ modules: [fixture('edge_cases.js')] }, async (agent) => {
    const proxy = serverProxy('127.0.0.1', agent.port);
    const M = remoteModule(proxy);
    let kept: unknown;
    {
      await using acct = await M.Account!('ann');
      kept = acct;
      assert.equal(agent.handles.size, 1);
      assert.equal(await acct.deposit(2), 2);
    }
    assert.equal(agent.handles.size, 0);
    assert.ok(remoteInfo(kept).released);
    const err = await rejection((kept as any).deposit(1));
    assert.ok(err instanceof ReleasedProxyError);
    proxy.close();
  });
});

test('a proxy the program drops is released on the agent after garbage collection', async (t) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    t.skip('needs node --expose-gc (npm test passes it)');
    return;
  }
  await withAgent({ modules: [fixture('edge_cases.js')] }, async (agent) => {
    const proxy = serverProxy('127.0.0.1', agent.port);
    const M = remoteModule(proxy);
    const keep = await M.Account!('kept');
    // Held until counted: a collection that runs while they are made must not free them early.
    const held: unknown[] = [];
    for (let i = 0; i < 20; i++) held.push(await M.Card!(`dropped ${i}`));
    assert.equal(agent.handles.size, 21);
    held.length = 0;
    const deadline = Date.now() + 10_000;
    while (agent.handles.size > 1 && Date.now() < deadline) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(agent.handles.size, 1, 'the 20 dropped Cards are released, the kept Account is not');
    assert.equal(await keep.deposit(1), 1);
    proxy.close();
  });
});
