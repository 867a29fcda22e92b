import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  CallTimeoutError,
  ConnectionError,
  eventually,
  remoteModule,
  serverProxy,
  StaleHandleError,
} from '../../src/index.js';
import { callsUnderWay, example, freePort, rejection, startAgentProcess } from '../helpers.js';

const args = (port: number, ...more: string[]): string[] => [
  '-m',
  example('remote_class.js'),
  '-p',
  String(port),
  ...more,
];

describe('agent faults, seen from the client', () => {
  test('the agent killed during a call: ConnectionError "closed", naming the endpoint', async () => {
    const a = await startAgentProcess(['-m', example('remote_class.js'), '-p', '0']);
    const proxy = serverProxy('127.0.0.1', a.port, { timeout: 10_000 });
    const inst = await remoteModule(proxy).RemoteClass!(1, 2, 3);
    const pending = rejection(inst.later(5_000, 'never'));
    await callsUnderWay(a.port);
    a.child.kill('SIGKILL');
    const err = await pending;
    assert.ok(err instanceof ConnectionError, String(err));
    assert.ok(err.reason === 'closed' || err.reason === 'reset', err.reason);
    assert.match(
      err.message,
      new RegExp(
        `^RemoteClass_[0-9a-f]{8}_0\\.later on 127\\.0\\.0\\.1:${a.port} failed: connection (closed|reset) \\((before any byte of an answer|ECONNRESET)\\); the (agent closed the connection before its answer was complete|connection was reset during the call): .*the call may or may not have run, and it was not retried$`,
      ),
    );
    await a.exited;
    proxy.close();
  });

  test('the agent restarted: old handles get StaleHandleError, the proxy works on', async () => {
    const port = await freePort();
    const first = await startAgentProcess(args(port));
    const proxy = serverProxy('127.0.0.1', port);
    const M = remoteModule(proxy);
    const inst = await M.RemoteClass!(1, 2, 3);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startAgentProcess(args(port));
    try {
      const err = await rejection(inst.add(1, 2));
      assert.ok(err instanceof StaleHandleError, String(err));
      assert.match(
        err.message,
        /^RemoteClass_([0-9a-f]{8})_0\.add on 127\.0\.0\.1:\d+ failed: StaleHandleError: RemoteClass_\1_0 was created by an earlier run of this agent \(boot \1; this run is boot [0-9a-f]{8}\): the agent restarted since, and the object is gone; create it again$/,
      );
      const fresh = await M.RemoteClass!(4, 5, 6);
      assert.equal(await fresh.add(1, 2), 3);
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
      proxy.close();
    }
  });

  test('the agent stopped with SIGSTOP: the client deadline fires', async () => {
    const a = await startAgentProcess(args(0));
    const proxy = serverProxy('127.0.0.1', a.port, { timeout: 300 });
    await proxy.classes();
    a.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      const err = await rejection(proxy.classes());
      assert.ok(err instanceof CallTimeoutError, String(err));
      assert.equal(err.timeoutMs, 300);
      assert.equal(
        err.message,
        `classes on 127.0.0.1:${a.port} got no answer within 300 ms; the agent may be hung or stopped, or the method slow (raise the client's timeout option); the call may still be running and was not retried`,
      );
      assert.ok(Date.now() - started < 5_000, 'the deadline, not a TCP timeout, ended the call');
    } finally {
      a.child.kill('SIGCONT');
      a.child.kill('SIGKILL');
      await a.exited;
      proxy.close();
    }
  });

  test('the port closed: ConnectionError "refused"', async () => {
    const port = await freePort();
    const proxy = serverProxy('127.0.0.1', port);
    const err = await rejection(proxy.classes());
    assert.ok(err instanceof ConnectionError);
    assert.equal(err.reason, 'refused');
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(
      err.message,
      `classes on 127.0.0.1:${port} failed: connection refused (ECONNREFUSED); nothing listens there: is the agent running and on that port? (roc-agent -m <module> -p <port>)`,
    );
    proxy.close();
  });

  test('a peer that accepts and never answers: CallTimeoutError', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const { port } = silent.address() as net.AddressInfo;
    const proxy = serverProxy('127.0.0.1', port, { timeout: 200 });
    try {
      const err = await rejection(proxy.call('anything'));
      assert.ok(err instanceof CallTimeoutError);
      assert.match(err.message, /^anything on 127\.0\.0\.1:\d+ got no answer within 200 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
      proxy.close();
    }
  });

  test('a peer that resets the connection mid-call: ConnectionError "reset"', async () => {
    const rude = net.createServer((s) => s.once('data', () => s.resetAndDestroy())).listen(0, '127.0.0.1');
    await new Promise((r) => rude.once('listening', r));
    const { port } = rude.address() as net.AddressInfo;
    const proxy = serverProxy('127.0.0.1', port);
    try {
      const err = await rejection(proxy.call('anything'));
      assert.ok(err instanceof ConnectionError);
      assert.equal(err.reason, 'reset');
      assert.match(
        err.message,
        /^anything on 127\.0\.0\.1:\d+ failed: connection reset \(ECONNRESET\); the connection was reset during the call/,
      );
    } finally {
      rude.close();
      proxy.close();
    }
  });

  test('waitUntilReady polls until the agent answers, and gives up with the last error', async () => {
    const port = await freePort();
    const proxy = serverProxy('127.0.0.1', port);
    const waiting = proxy.waitUntilReady({ timeout: 10_000, interval: 50 });
    // Nothing listens until the agent below has started (a process: well after the first polls).
    const a = await startAgentProcess(args(port));
    const info = await waiting;
    assert.equal(info?.pid, a.child.pid);
    a.child.kill('SIGKILL');
    await a.exited;
    const err = await rejection(proxy.waitUntilReady({ timeout: 300, interval: 50 }));
    assert.match(
      err.message,
      new RegExp(
        `^the agent at 127\\.0\\.0\\.1:${port} did not answer within 300 ms; last error: ping on 127\\.0\\.0\\.1:${port} failed: connection refused`,
      ),
    );
    proxy.close();
  });
});

describe('graceful stop', () => {
  test('SIGTERM: calls under way finish, new connections are refused, exit 0', async () => {
    const a = await startAgentProcess(args(0));
    const proxy = serverProxy('127.0.0.1', a.port);
    const inst = await remoteModule(proxy).RemoteClass!(1, 2, 3);
    const inFlight = inst.later(1_000, 'finished');
    await callsUnderWay(a.port);
    a.child.kill('SIGTERM');
    // Once the agent has stopped listening, a new connection is refused.
    const late = serverProxy('127.0.0.1', a.port);
    const refused = await eventually(
      async () => {
        const err = await late.classes().then(
          () => undefined,
          (e: unknown) => e,
        );
        return err instanceof ConnectionError && err.reason === 'refused' ? err : false;
      },
      { timeout: 5_000, interval: 10 },
    );
    assert.ok(refused instanceof ConnectionError);
    assert.equal(refused.reason, 'refused');
    assert.equal(await inFlight, 'finished');
    assert.equal(await a.exited, 0);
    late.close();
    proxy.close();
  });

  test('a call that outlives --stop-grace is cut off and the agent still exits 0', async () => {
    const a = await startAgentProcess(args(0, '--stop-grace', '200'));
    const proxy = serverProxy('127.0.0.1', a.port);
    const inst = await remoteModule(proxy).RemoteClass!(1, 2, 3);
    const inFlight = rejection(inst.later(10_000, 'too late'));
    await callsUnderWay(a.port);
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0);
    assert.ok((await inFlight) instanceof ConnectionError);
    proxy.close();
  });
});
