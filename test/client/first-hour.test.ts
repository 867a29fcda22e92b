/** What a user meets in the first hour: scripts that end on time, secrets that stay hidden, objects libraries can probe. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Agent } from '../../src/agent/index.js';
import {
  ConnectionError,
  invoke,
  loadTopology,
  remoteInfo,
  remoteModule,
  serverProxy,
  type ServerProxy,
} from '../../src/index.js';
import { ROC_HINTS } from '../../src/protocol/index.js';
import { example, fixture, repoRoot } from '../helpers.js';

const TOKEN = 'first-hour-secret-token-0123456789';
let agent: Agent;

before(async () => {
  agent = await Agent.start({ modules: [example('remote_class.js'), fixture('edge_cases.js')], port: 0, token: TOKEN });
});
after(() => agent.close(100));

/** Runs a host script in its own process; resolves with its output and how long it lived after its last call. */
function script(
  source: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; afterCallMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'roc-script-'));
  const file = join(dir, 'host.mjs');
  writeFileSync(file, source.replaceAll('ROC', join(repoRoot, 'dist', 'src', 'index.js')));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let calledAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('called\n') && !calledAt) calledAt = Date.now();
    });
    child.once('exit', (code) => resolve({ code, out, afterCallMs: calledAt ? Date.now() - calledAt : -1 }));
  });
}

describe('host scripts end when their work does', () => {
  test('a one-call script with a serverProxy and no close() exits within a second of its call', async () => {
    const r = await script(`import { serverProxy } from 'ROC';
const p = serverProxy('127.0.0.1', ${agent.port}, { token: '${TOKEN}' });
console.log(await p.classes());
console.log('called');`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /RemoteClass/);
    assert.ok(
      r.afterCallMs >= 0 && r.afterCallMs < 1_000,
      `exited ${r.afterCallMs} ms after its call (an idle kept-alive connection held it before)`,
    );
  });

  test('so does one with guest() and a live remote object (its lease renewals do not hold it either)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-script-topology-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'roc.yml'),
      `guests:\n  web1: { host: 127.0.0.1, port: ${agent.port}, token_file: token }\n`,
    );
    const r = await script(
      `import { guest } from 'ROC';
const inst = await guest('web1').module.RemoteClass(1, 2, 3);
console.log(await inst.add(2, 3));
console.log('called');`,
      { ROC_TOPOLOGY: join(dir, 'roc.yml') },
    );
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, '5\ncalled\n');
    assert.ok(r.afterCallMs >= 0 && r.afterCallMs < 1_000, `exited ${r.afterCallMs} ms after its call`);
  });
});

describe('the token never shows', () => {
  let proxy: ServerProxy;
  before(() => {
    proxy = serverProxy('127.0.0.1', agent.port, { token: TOKEN });
  });
  after(() => proxy.close());

  test('printing, inspecting or serializing a proxy, a remote object, its info or a guest shows where the token came from, never the token', async () => {
    const inst = await remoteModule(proxy).RemoteClass!(1, 2, 3);
    const dir = mkdtempSync(join(tmpdir(), 'roc-redact-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'roc.yml'),
      `guests:\n  web1: { host: 127.0.0.1, port: ${agent.port}, token_file: token }\n`,
    );
    const topology = loadTopology(join(dir, 'roc.yml'));
    const g = topology.guest('web1');
    await g.ping();
    const shown = [
      inspect(proxy, { depth: 10, showHidden: true }),
      inspect(proxy.transport, { depth: 10, showHidden: true }),
      inspect(remoteInfo(inst), { depth: 10 }),
      inspect(inst),
      inspect(g, { depth: 10 }),
      inspect(g.proxy, { depth: 10, showHidden: true }),
      inspect(topology, { depth: 10 }),
      JSON.stringify(proxy),
      JSON.stringify(remoteInfo(inst)),
      JSON.stringify({ inst }),
      String(inst),
    ];
    for (const text of shown) assert.ok(!text.includes(TOKEN), `the token shows in: ${text}`);
    assert.equal(inspect(proxy), `ServerProxy<127.0.0.1:${agent.port}, token from the token option>`);
    assert.equal(
      JSON.stringify(proxy),
      `{"endpoint":"127.0.0.1:${agent.port}","guest":null,"token":"(from the token option; not shown)"}`,
    );
    assert.equal(
      inspect(g.proxy),
      `ServerProxy<web1 127.0.0.1:${agent.port}, token from token_file ${join(dir, 'token')} (topology ${join(dir, 'roc.yml')})>`,
    );
    topology.close();
  });
});

describe('what libraries probe on an object never reaches the agent', () => {
  test('JSON.stringify, await, string conversion, matchers and symbols are answered locally; invoke() calls such names remotely', async () => {
    const proxy = serverProxy('127.0.0.1', agent.port, { token: TOKEN });
    const inst = await remoteModule(proxy).RemoteClass!(1, 2, 3);
    const { handle } = remoteInfo(inst);
    const sent: string[] = [];
    const callWith = proxy.callWith.bind(proxy);
    proxy.callWith = ((method: string, params: readonly unknown[], options?: { timeout?: number }) => {
      sent.push(method);
      return callWith(method, params, options);
    }) as typeof proxy.callWith;
    const probe = inst as unknown as Record<string | symbol, unknown>;
    assert.equal(
      JSON.stringify({ inst }),
      `{"inst":{"remoteObject":"RemoteClass","handle":"${handle}","guest":null,"endpoint":"127.0.0.1:${agent.port}","released":false}}`,
    );
    assert.equal(String(inst), `RemoteObject<RemoteClass ${handle} on 127.0.0.1:${agent.port}>`);
    assert.equal(`${inst}`, String(inst));
    assert.equal(await Promise.resolve(inst), inst, 'not a thenable: awaiting it gives it back');
    for (const name of [
      'then',
      'constructor',
      'asymmetricMatch',
      '$$typeof',
      'nodeType',
      'tagName',
      'inspect',
      'valueOf',
      'toLocaleString',
      '@@__IMMUTABLE_ITERABLE__@@',
      '_private',
      '__proto__',
      'hasOwnProperty',
    ]) {
      assert.equal(probe[name], undefined, name);
    }
    for (const sym of [Symbol.iterator, Symbol.asyncIterator, Symbol.for('nodejs.util.inspect.custom.other')])
      assert.equal(probe[sym], undefined);
    assert.equal(probe[Symbol.toStringTag], 'RemoteObject');
    assert.equal('then' in inst, false);
    assert.equal('add' in inst, true);
    assert.deepEqual(sent, [], 'no probe became a call');
    // A remote method with a probed name is still reachable.
    assert.equal(await invoke(inst, 'add', 2, 3), 5);
    assert.deepEqual(sent, [`${handle}.add`]);
    proxy.close();
  });

  test('a remote module and the guest library answer probes locally too', async () => {
    const proxy = serverProxy('127.0.0.1', agent.port, { token: TOKEN });
    const mod = remoteModule(proxy) as unknown as Record<string | symbol, unknown>;
    assert.equal(mod.then, undefined);
    assert.equal(JSON.stringify(mod), `{"remoteModule":"127.0.0.1:${agent.port}","guest":null}`);
    assert.equal(String(mod), `RemoteModule<127.0.0.1:${agent.port}>`);
    proxy.close();
  });
});

describe('messages of the first hour', () => {
  test('serverProxy takes a port as text, and says what is wrong with one that is not a port', () => {
    const p = serverProxy('127.0.0.1', '47100');
    assert.equal(p.endpoint, '127.0.0.1:47100');
    p.close();
    assert.throws(
      () => serverProxy('127.0.0.1', 'http'),
      /^TypeError: serverProxy\("127\.0\.0\.1", "http"\): the port must be a number from 1 to 65535$/,
    );
  });

  test('a host name that does not resolve says so in words', () => {
    // Built from the error Node gives, rather than by asking a resolver: tests send nothing off this machine.
    const cause = Object.assign(new Error('getaddrinfo ENOTFOUND no-such-host.invalid'), { code: 'ENOTFOUND' });
    const err = new ConnectionError(
      { endpoint: 'no-such-host.invalid:7007', method: 'classes' },
      'dns',
      cause,
      ROC_HINTS,
    );
    assert.equal(
      err.message,
      'classes on no-such-host.invalid:7007 failed: host name not found (ENOTFOUND); the host name does not resolve: check the host in the topology',
    );
  });
});
