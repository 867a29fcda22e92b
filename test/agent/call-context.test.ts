import { test } from 'node:test';
import { Agent } from '../../src/agent/index.js';
import { eventually, remoteModule, serverProxy } from '../../src/index.js';
import { fixture } from '../helpers.js';

// The agent keeps a call's context (its caller, and a signal aborted when the caller hangs up) for the code
// that reads it; served code gets it once it has taken the guest library, even after awaits of its own.
/** Served code that waits on the library `afterMs` into its call; its caller hangs up once the call runs. */
async function abandonedWait(afterMs: number): Promise<void> {
  const agent = await Agent.start({ modules: [fixture('uses_library.js')], port: 0 });
  const proxy = serverProxy('127.0.0.1', agent.port);
  const caller = serverProxy('127.0.0.1', agent.port, { timeout: 60_000 });
  try {
    const waiter = await remoteModule(caller).Waiter!();
    const pending = waiter.forever(afterMs).catch(() => undefined);
    await eventually(async () => (await proxy.ping()).calls === 1, {
      timeout: 10_000,
      message: 'the call to be running',
    });
    caller.close();
    await pending;
    await eventually(async () => (await proxy.ping()).calls === 0, {
      timeout: 5_000,
      message: 'the abandoned wait to end',
    });
  } finally {
    proxy.close();
    await agent.close(100);
  }
}

test('a wait that served code starts after an await ends when its caller hangs up', async () => {
  await abandonedWait(5);
});

test('a wait that served code starts after its caller has hung up ends at once', async () => {
  // The caller is gone 1.5 s before the wait begins: the call's signal, made when first asked for, is aborted then.
  await abandonedWait(1_500);
});
