import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../src/agent/index.js';
import { loadTopology, ProxyClosedError, serverProxy } from '../../src/index.js';
import { example, rejection } from '../helpers.js';

test('await using: an agent stops, a proxy and a topology close at the end of their block', async () => {
  let agent: Agent;
  let port: number;
  {
    await using started = await Agent.start({ modules: [example('remote_class.js')], port: 0 });
    agent = started;
    port = started.port;
    let outside: ReturnType<typeof serverProxy>;
    {
      await using proxy = serverProxy('127.0.0.1', port);
      assert.deepEqual(await proxy.classes(), ['Point', 'RemoteClass']);
      outside = proxy;
    }
    const closed = await rejection(outside.classes());
    assert.ok(closed instanceof ProxyClosedError, String(closed));

    const dir = mkdtempSync(join(tmpdir(), 'roc-dispose-'));
    writeFileSync(join(dir, 'roc.yml'), `guests:\n  web1: { host: 127.0.0.1, port: ${port} }\n`);
    let before: unknown;
    {
      await using topology = loadTopology(join(dir, 'roc.yml'));
      before = await topology.guest('web1').module.RemoteClass!(1, 2, 3);
    }
    const stale = await rejection((before as { add(a: number, b: number): Promise<number> }).add(1, 2));
    assert.ok(stale instanceof ProxyClosedError, String(stale));
  }
  // The agent's block ended: it stopped, and nothing listens on its port.
  await agent.closed;
  assert.equal(agent.stopping !== undefined, true);
  const refused = await rejection(serverProxy('127.0.0.1', port, { timeout: 2_000 }).classes());
  assert.match(refused.message, /connection refused/);
});
