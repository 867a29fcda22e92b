import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Agent } from '../../src/agent/index.js';
import { eventually, release, remoteInfo, remoteModule, serverProxy } from '../../src/index.js';
import { fixture } from '../helpers.js';

/** Whether something accepts connections on the port. */
const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

async function withDisposables(
  options: Partial<Parameters<typeof Agent.start>[0]>,
  body: (agent: Agent, log: string[]) => Promise<void>,
): Promise<void> {
  const log: string[] = [];
  const agent = await Agent.start({
    modules: [fixture('disposable.js')],
    port: 0,
    log: (l) => log.push(l),
    ...options,
  });
  try {
    await body(agent, log);
  } finally {
    await agent.close(100);
  }
}

describe('the agent disposes the objects it frees', () => {
  test('release: Symbol.asyncDispose runs before release answers, so the port is free for the next run', async () => {
    await withDisposables({}, async (agent) => {
      const client = serverProxy('127.0.0.1', agent.port);
      try {
        const m = remoteModule(client);
        const first = await m.Listener!();
        const port = (await first.port()) as number;
        assert.ok(await listening(port));
        await release(first);
        assert.equal(await listening(port), false, 'released: nothing listens');
        // The next run binds the same port: no EADDRINUSE.
        const second = await m.Listener!(port);
        assert.equal(await second.port(), port);
        // close() is the other convention; an object handed out twice is disposed when its last handle goes.
        const closer = await m.Closer!();
        await release(closer);
        assert.equal(await (await m.Closer!()).count(), 1);
      } finally {
        client.close();
      }
    });
  });

  test("a lapsed lease's objects are disposed", async () => {
    await withDisposables({ leaseTtlMs: 300 }, async (agent) => {
      const client = serverProxy('127.0.0.1', agent.port);
      const port = (await (await remoteModule(client).Listener!()).port()) as number;
      client.close(); // no more renewals: the lease lapses
      await eventually(async () => !(await listening(port)), {
        timeout: 10_000,
        message: `port ${port} to be closed once the lease lapsed`,
      });
    });
  });

  test('agent stop disposes everything; a dispose that hangs or throws is bounded and logged', async () => {
    const log: string[] = [];
    const agent = await Agent.start({
      modules: [fixture('disposable.js')],
      port: 0,
      disposeTimeoutMs: 200,
      log: (l) => log.push(l),
    });
    const client = serverProxy('127.0.0.1', agent.port);
    const m = remoteModule(client);
    const port = (await (await m.Listener!()).port()) as number;
    const hangs = await m.Hangs!();
    const throws = await m.Throws!();
    const started = Date.now();
    await release(hangs); // answers at the deadline, not never
    assert.ok(Date.now() - started < 5_000);
    await release(throws);
    client.close();
    await agent.close(100);
    assert.equal(await listening(port), false, 'the agent stopped: its objects let go of their ports');
    const hang = remoteInfo(hangs).handle;
    assert.ok(
      log.includes(
        `disposing ${hang} (Hangs) did not finish within 200 ms; the agent forgot it anyway (what it holds may still be open): make its dispose or close() end sooner`,
      ),
      log.join('\n'),
    );
    assert.ok(
      log.some((l) => l.startsWith(`disposing ${remoteInfo(throws).handle} (Throws) threw: Error: cannot let go`)),
      log.join('\n'),
    );
  });
});
