import { test } from 'node:test';
import { Agent } from '../../src/agent/index.js';
import { eventually, remoteModule, serverProxy, type ServerProxy } from '../../src/index.js';
import { example, fixture } from '../helpers.js';

// The agent keeps a call's context (its caller, and a signal aborted when the caller hangs up) for the code
// that reads it; served code gets it once it has taken the guest library, even after awaits of its own.

/** A call that waits (`start`, given the caller's proxy) is abandoned: its caller hangs up once the call runs. */
async function abandoned(module: string, start: (caller: ServerProxy) => Promise<unknown>): Promise<void> {
  const agent = await Agent.start({ modules: [module], port: 0 });
  const proxy = serverProxy('127.0.0.1', agent.port);
  const caller = serverProxy('127.0.0.1', agent.port, { timeout: 60_000 });
  try {
    const pending = start(caller).catch(() => undefined);
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

// First in this file: no module of this process has taken the guest library yet, so only the call itself can ask for
// its context.
test('a wait inside a multicall ends when its caller hangs up', async () => {
  await abandoned(example('remote_class.js'), (caller) =>
    caller.multicall([
      { method: 'roc.wait.until', params: [{ kind: 'file', path: '/nonexistent/roc-never' }, 60_000] },
    ]),
  );
});

/** Served code that waits on the library `afterMs` into its call. */
const servedWait = (afterMs: number) => async (caller: ServerProxy) =>
  (await remoteModule(caller).Waiter!()).forever(afterMs);

test('a wait that served code starts after an await ends when its caller hangs up', async () => {
  await abandoned(fixture('uses_library.js'), servedWait(5));
});

test('a wait that served code starts after its caller has hung up ends at once', async () => {
  // The caller is gone 1.5 s before the wait begins: the call's signal, made when first asked for, is aborted then.
  await abandoned(fixture('uses_library.js'), servedWait(1_500));
});
