import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labStateFile, labStatus, labUp, readLabState, isRunning } from '../../src/lab/index.js';
import {
  eventually,
  EventuallyError,
  formatLogs,
  guestLogs,
  serverProxy,
  withGuestLogs,
  GroupError,
  guest,
  guests,
  loadTopology,
  nemesis,
  NemesisError,
  ProxyClosedError,
  RemoteError,
  StaleHandleError,
  UnknownClassError,
  useTopology,
  Wait,
  WaitTimeoutError,
  type Topology,
} from '../../src/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { example, fixture, freePort, rejection, repoRoot, startAgentProcess } from '../helpers.js';

const execFileAsync = promisify(execFile);
let dir: string;
let file: string;
let port: number;
let topology: Topology;
const agentEnv = (): Record<string, string> => ({
  PATH: `${fixture('fakebin')}:${process.env.PATH}`,
  ROC_FAKE_SYSTEMD: join(dir, 'systemd'),
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'roc-lab-'));
  port = await freePort();
  writeTokenFile(join(dir, '.roc', 'token'));
  file = join(dir, 'roc.yml');
  writeFileSync(
    file,
    [
      `defaults: { port: ${port}, token_file: .roc/token, timeout: 10s }`,
      'guests:',
      `  web1: { host: 127.0.1.11, roles: [web], modules: [${example('remote_class.js')}], logs: [${dir}/app.log] }`,
      `  web2: { host: 127.0.1.12, roles: [web], modules: [${example('remote_class.js')}], logs: [${dir}/none.log] }`,
      '  db1:  { host: 127.0.1.13, roles: [db] }',
      '',
    ].join('\n'),
  );
  // The agents get a stand-in systemctl and journalctl first on their PATH; this process's environment is untouched.
  mkdirSync(join(dir, 'systemd'));
  await labUp({ topology: file, env: agentEnv() });
  topology = loadTopology(file);
  useTopology(topology);
});

after(async () => {
  useTopology(undefined);
  const state = readLabState(file);
  await labDown({ topology: file });
  for (const g of state?.guests ?? [])
    assert.equal(isRunning(g.pid), false, `${g.name}'s agent (pid ${g.pid}) still runs after down`);
  assert.equal(existsSync(labStateFile(file)), false);
});

describe('guest() and guests() on a lab of three', () => {
  test('guest(name).module creates objects on that guest', async () => {
    const inst = await guest('web1').module.RemoteClass!(1, 2, 3);
    assert.equal(await inst.add(2, 3), 5);
    assert.equal((await guest('web2').ping()).bootId !== (await guest('web1').ping()).bootId, true);
    const err = await rejection(guest('db1').module.RemoteClass!(1, 2, 3));
    assert.ok(err instanceof UnknownClassError);
    assert.equal(err.message, `no class "RemoteClass" on guest db1 (127.0.1.13:${port}); it serves no classes`);
    assert.equal(err.guest, 'db1');
  });

  test('topology.close() closes connections; guests reconnect, objects made before say the proxy was closed', async () => {
    const before = await guest('web1').module.RemoteClass!(1, 2, 3);
    topology.close();
    assert.equal(await guest('web1').call('version'), '1.0');
    const err = await rejection(before.add(1, 2));
    assert.ok(err instanceof ProxyClosedError, String(err));
    assert.match(
      err.message,
      new RegExp(
        `^RemoteClass_[0-9a-f]{8}_\\d+\\.add on guest web1 \\(127\\.0\\.1\\.11:${port}\\) was not sent: this proxy was closed`,
      ),
    );
  });

  test('guests(selector) runs on every member in parallel and reports per guest', async () => {
    const made = await guests('role:web').module.RemoteClass!(1, 2, 3);
    assert.deepEqual(made.succeeded, ['web1', 'web2']);
    const sums = await guests('role:web').map((g) => made.get(g.name).add(g.name.length, 10));
    assert.deepEqual(sums.byGuest, { web1: 14, web2: 14 });
    const hosts = await guests().lib.system.hostname();
    assert.equal(hosts.values.length, 3);
    const pings = await guests('web*').ping();
    assert.deepEqual(Object.keys(pings.byGuest), ['web1', 'web2']);
  });

  test('a failure on some guests names each one and keeps the successes', async () => {
    const state = readLabState(file)!;
    const db1 = state.guests.find((g) => g.name === 'db1')!;
    process.kill(db1.pid, 'SIGKILL');
    await eventually(() => !isRunning(db1.pid), { timeout: 5_000 });
    // A kept-alive socket to db1 may not have seen the kill's reset yet; a call
    // on it would fail with ECONNRESET instead of a fresh connection's refusal.
    topology.close();
    const result = await guests().ping({ timeout: 2_000 });
    assert.equal(result.ok, false);
    assert.deepEqual(result.failed, ['db1']);
    assert.deepEqual(result.succeeded, ['web1', 'web2']);
    assert.equal(result.get('web1').version, '0.1.0');
    const err = (() => {
      try {
        void result.values;
      } catch (e) {
        return e as GroupError;
      }
      throw new Error('values should throw');
    })();
    assert.ok(err instanceof GroupError);
    assert.equal(
      err.message,
      `ping() failed on 1 of 3 guests:\n  db1 (127.0.1.13:${port}): ping on guest db1 (127.0.1.13:${port}) failed: connection refused (ECONNREFUSED); nothing listens there: is the agent running and on that port? (roc-agent -m <module> -p <port>)\n  succeeded on: web1, web2`,
    );
    assert.deepEqual(
      err.successes.map((s) => s.guest),
      ['web1', 'web2'],
    );

    // lab up again starts only what is down; the same Guest object reaches the new agent.
    const before = readLabState(file)!
      .guests.filter((g) => g.name !== 'db1')
      .map((g) => g.pid);
    await labUp({ topology: file, env: agentEnv() });
    const after = readLabState(file)!;
    assert.deepEqual(
      after.guests.filter((g) => g.name !== 'db1').map((g) => g.pid),
      before,
    );
    assert.equal((await guest('db1').ping()).pid, after.guests.find((g) => g.name === 'db1')!.pid);
  });

  test('an agent killed and restarted mid-test: old handles are stale, the guest works on', async () => {
    const inst = await guest('web2').module.RemoteClass!(7, 8, 9);
    assert.equal(await inst.incr(), 1);
    const web2 = readLabState(file)!.guests.find((g) => g.name === 'web2')!;
    process.kill(web2.pid, 'SIGKILL');
    await eventually(() => !isRunning(web2.pid), { timeout: 5_000 });
    await labUp({ topology: file, env: agentEnv() });
    const err = await rejection(inst.incr());
    assert.ok(err instanceof StaleHandleError, String(err));
    assert.equal(err.guest, 'web2');
    assert.match(
      err.message,
      /^RemoteClass_[0-9a-f]{8}_\d+\.incr on guest web2 \(127\.0\.1\.12:\d+\) failed: StaleHandleError: .* the agent restarted since, and the object is gone; create it again$/,
    );
    const fresh = await guest('web2').module.RemoteClass!(7, 8, 9);
    assert.equal(await fresh.incr(), 1);
  });
});

describe('the nemesis on the loopback lab', () => {
  test('a partition is refused by every guest, saying to use --netns, and leaves no fault anywhere', async () => {
    const err = await rejection(nemesis.partition([['web1'], ['web2', 'db1']]));
    assert.ok(err instanceof NemesisError, String(err));
    assert.deepEqual(
      err.refusals.map((r: { guest: string; reason: string }) => [r.guest, r.reason]),
      [
        ['web1', 'shared-stack'],
        ['web2', 'shared-stack'],
        ['db1', 'shared-stack'],
      ],
    );
    assert.match(
      err.message,
      /^partition web1 \| web2, db1 was not made: web1 refused: peer 127\.0\.1\.12 \(127\.0\.1\.12\) is an address of this guest itself: the guests share one network stack \(the loopback lab\), where no link between them can be cut\. Use guests with their own network: roc lab up --netns, containers or VMs; web2, db1 refused: peer 127\.0\.1\.11 /,
    );
    const status = await nemesis.status();
    assert.deepEqual(status, { web1: [], web2: [], db1: [] });
  });
});

describe('the built-in guest library', () => {
  test('command: exit code, stdout, stderr, env, cwd, input, timeout; no shell unless asked', async () => {
    const { command } = guest('web1').lib;
    const r = await command.run('sh', ['-c', 'echo "$FOO"; echo oops >&2; exit 3'], { env: { FOO: 'bar' } });
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, 'bar\n');
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.timedOut, false);
    assert.equal((await command.run('pwd', [], { cwd: '/tmp' })).stdout, '/tmp\n');
    assert.equal((await command.run('cat', [], { input: 'piped in' })).stdout, 'piped in');
    assert.equal(
      (await command.run('echo', ['$HOME', '`id`'])).stdout,
      '$HOME `id`\n',
      'arguments are not shell syntax',
    );
    assert.equal((await command.shell('echo $((1 + 2))')).stdout, '3\n');
    const slow = await command.run('sleep', ['5'], { timeout: 200 });
    assert.equal(slow.timedOut, true);
    assert.equal(slow.exitCode, null);
    const missing = await rejection(command.run('no-such-program-xyz'));
    assert.ok(missing instanceof RemoteError);
    assert.match(
      missing.message,
      /roc\.command\.run on guest web1 \(127\.0\.1\.11:\d+\) failed: GuestCommandError: cannot run no-such-program-xyz: no such program on the guest's PATH/,
    );
  });

  test('files: write, read, exists, stat, sha256, list, remove, mkdir', async () => {
    const { files } = guest('web2').lib;
    const base = join(dir, 'files-test');
    await files.mkdir(join(base, 'sub'));
    assert.equal(await files.write(join(base, 'a.txt'), 'hello\n'), 6);
    assert.equal(await files.write(join(base, 'a.txt'), 'again\n', { append: true }), 12);
    await files.write(join(base, 'bin'), Buffer.from([0, 1, 2, 255]), { mode: 0o600 });
    assert.equal(await files.read(join(base, 'a.txt')), 'hello\nagain\n');
    assert.deepEqual(await files.readBytes(join(base, 'bin')), Buffer.from([0, 1, 2, 255]));
    assert.equal(await files.exists(join(base, 'a.txt')), true);
    assert.equal(await files.exists(join(base, 'nope')), false);
    const st = await files.stat(join(base, 'bin'));
    assert.equal(st.size, 4);
    assert.equal(st.mode, 0o600);
    assert.equal(st.isFile, true);
    assert.ok(st.mtime instanceof Date);
    assert.equal(await files.sha256(join(base, 'a.txt')), createHash('sha256').update('hello\nagain\n').digest('hex'));
    assert.deepEqual(
      (await files.list(base)).map((e) => ({ ...e })),
      [
        { name: 'a.txt', type: 'file' },
        { name: 'bin', type: 'file' },
        { name: 'sub', type: 'directory' },
      ],
    );
    assert.equal(await files.remove(join(base, 'sub')), true);
    assert.equal(await files.remove(join(base, 'sub')), false);
    const err = await rejection(files.read(join(base, 'missing.txt')));
    assert.match(
      err.message,
      /roc\.files\.read on guest web2 .* failed: Error: ENOENT: no such file or directory, open '.*missing\.txt'/,
    );
  });

  test('services: state, start, stop, restart and the journal (systemctl)', async () => {
    const { services } = guest('db1').lib;
    writeFileSync(join(dir, 'systemd', 'nginx.unit'), '');
    assert.equal(await services.isActive('nginx'), false);
    await services.start('nginx');
    assert.equal(await services.isActive('nginx.service'), true);
    assert.equal(await services.isEnabled('nginx'), false);
    assert.deepEqual(
      { ...(await services.status('nginx')) },
      { unit: 'nginx', active: 'active', sub: 'running', enabled: 'disabled' },
    );
    await services.restart('nginx');
    await services.stop('nginx');
    assert.equal(await services.isActive('nginx'), false);
    assert.deepEqual(await services.journal('nginx', 2), ['restart nginx', 'stop nginx']);
    assert.deepEqual(await services.journal('other'), []);
    const err = await rejection(services.start('nosuch'));
    assert.match(
      err.message,
      /roc\.services\.start on guest db1 .* failed: GuestCommandError: systemctl start nosuch failed with exit code 5: Failed to start nosuch\.service: Unit nosuch\.service not found\./,
    );
    // The context is in fields on the guest, and they cross the wire.
    assert.ok(err instanceof RemoteError);
    assert.deepEqual(
      { ...err.remoteFields },
      {
        command: 'systemctl start nosuch',
        exitCode: 5,
        stderr: 'Failed to start nosuch.service: Unit nosuch.service not found.',
      },
    );
    // Waits on the guest, on the unit's state and its journal.
    await services.start('nginx');
    await guest('db1').waitFor(Wait.service('nginx', 'active'), { timeout: '2s' });
    await guest('db1').waitFor(Wait.logLine({ unit: 'nginx' }, /^restart nginx$/), { timeout: '2s' });
    const inactive = await rejection(guest('db1').waitFor(Wait.service('other', 'active'), { timeout: 200 }));
    assert.equal((inactive as WaitTimeoutError).observed[0], 'service other active: is inactive');
    // Following the journal: the lines written from follow() on.
    writeFileSync(join(dir, 'systemd', 'nginx.journal'), '');
    const journal = (await services.follow('nginx'))[Symbol.asyncIterator]();
    await services.restart('nginx');
    assert.deepEqual(await journal.next(), { value: 'restart nginx', done: false });
    await journal.return!();
    const bad = await rejection(services.start('x; rm -rf /'));
    assert.match(bad.message, /TypeError: services\.start needs a unit name such as nginx or nginx\.service/);
  });

  test('network: listening sockets, can connect, HTTP GET', async () => {
    const { network } = guest('web1').lib;
    const listening = await network.listening();
    assert.ok(
      listening.some((s) => s.address === '127.0.1.11' && s.port === port && s.protocol === 'tcp'),
      JSON.stringify(listening),
    );
    assert.equal(await network.isListening(port), true);
    const reach = await network.canConnect('127.0.1.13', port);
    assert.equal(reach.ok, true);
    const closed = await network.canConnect('127.0.1.13', await freePort());
    assert.deepEqual([closed.ok, closed.error], [false, 'ECONNREFUSED']);
    const server = http
      .createServer((req, res) => res.writeHead(201, { 'X-Test': 'yes' }).end(`path ${req.url}`))
      .listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const r = await network.httpGet(`http://127.0.0.1:${(server.address() as { port: number }).port}/health`);
      assert.equal(r.status, 201);
      assert.equal(r.body, 'path /health');
      assert.equal(r.headers['x-test'], 'yes');
    } finally {
      server.close();
    }
    const udp = await network.listening('udp');
    assert.ok(Array.isArray(udp));
  });

  test('processes and system facts', async () => {
    const { processes, system } = guest('web1').lib;
    const pid = readLabState(file)!.guests.find((g) => g.name === 'web1')!.pid;
    const found = await processes.find('roc-agent.js');
    assert.ok(
      found.some((p) => p.pid === pid),
      `agent pid ${pid} among ${found.map((p) => p.pid).join(' ')}`,
    );
    const all = await processes.list();
    assert.ok(all.some((p) => p.pid === 1));
    const facts = await system.facts();
    assert.equal(typeof facts.hostname, 'string');
    assert.ok(facts.uptime > 0 && facts.cpus > 0 && facts.memoryMb > 0);
    assert.equal(facts.node, process.version);
    assert.ok((await system.uptime()) > 0);
  });

  test('eventually waits for converging state, and says what never converged', async () => {
    const flag = join(dir, 'ready.flag');
    void guest('web1').lib.command.shell(`sleep 0.3; echo ready > ${flag}`);
    assert.equal(await eventually(() => guest('web1').lib.files.exists(flag), { timeout: 5_000, interval: 50 }), true);
    const err = await rejection(
      eventually(() => guest('web1').lib.files.read(join(dir, 'never')), {
        timeout: 300,
        interval: 50,
        message: 'the never file',
      }),
    );
    assert.ok(err instanceof EventuallyError);
    assert.match(
      err.message,
      /^the never file still failed after 300 ms \(\d+ attempts\): roc\.files\.read on guest web1 .* failed: Error: ENOENT/,
    );
  });
});

describe("the guests' logs for a failed test's report", () => {
  test("guestLogs: each agent's own output since it started and the last lines of the logs the topology lists", async () => {
    writeFileSync(join(dir, 'app.log'), 'one\ntwo\nthree\n');
    const logs = await guestLogs({ topology, lines: 2 });
    assert.deepEqual(
      logs.map((l) => `${l.guest} ${l.source}`),
      ['web1 agent', `web1 ${dir}/app.log`, 'web2 agent', `web2 ${dir}/none.log`, 'db1 agent'],
    );
    const [, web1App, , web2None] = logs;
    assert.deepEqual(web1App!.lines, ['two', 'three']);
    assert.match(web2None!.error!, /ENOENT.*none\.log/);
    // An agent's part of its log only: web1's agent was restarted by an earlier test, and its log starts with this run.
    const agents = await guestLogs({ topology, guests: 'web1,db1', lines: 100 });
    const [web1Agent, , db1Agent] = agents;
    assert.equal(web1Agent!.lines[0], 'Available class(es): Point, RemoteClass');
    assert.equal(web1Agent!.lines.filter((l) => l.startsWith('Listening on ')).length, 1);
    assert.ok(
      web1Agent!.lines.some((l) =>
        /^Listening on http:\/\/127\.0\.1\.11:\d+\/ \(boot [0-9a-f]{8}, pid \d+, token required\)$/.test(l),
      ),
      web1Agent!.lines.join('\n'),
    );
    assert.equal(db1Agent!.lines[0], 'Available class(es): (none)');
    assert.equal(
      formatLogs([web1App!, web2None!]),
      `--- web1: ${dir}/app.log (last 2 lines)\n    two\n    three\n--- web2: ${dir}/none.log (not read: ${web2None!.error})`,
    );
  });

  test("withGuestLogs: a failed test's error carries the logs in its message and stack; a passing test is untouched", async () => {
    writeFileSync(join(dir, 'app.log'), 'the node said why\n');
    const failing = withGuestLogs(
      async () => {
        assert.equal(1, 2);
      },
      { topology, guests: 'web1', lines: 5 },
    );
    const err = await rejection(failing());
    assert.ok(err instanceof assert.AssertionError, 'still the assertion, with its diff');
    assert.match(
      err.message,
      /^Expected values to be strictly equal:[^]*\n\nThe guests' logs when it failed:\n--- web1: agent \(last \d+ lines\)\n/,
    );
    assert.match(err.message, new RegExp(`--- web1: ${dir}/app\\.log \\(last 1 line\\)\\n    the node said why$`));
    assert.match(err.stack!, /the node said why\n\s+at /);
    let ran = false;
    await withGuestLogs(() => {
      ran = true;
    })();
    assert.equal(ran, true);
  });

  test('the agent outside systemd and a lab says where its log would come from', async () => {
    const a = await startAgentProcess(['-p', '0'], { ...process.env, ROC_AGENT_LOG: '' });
    const proxy = serverProxy('127.0.0.1', a.port);
    const err = await rejection(proxy.call('roc.system.agentLog', 5));
    assert.match(
      (err as RemoteError).remoteMessage,
      /writes its output to no journal or file it knows of .* run it as the roc-agent service, or set ROC_AGENT_LOG/,
    );
    await proxy.shutdown();
    proxy.close();
    await a.exited;
  });
});

describe('roc ping and roc lab status', () => {
  test('a table of every guest', async () => {
    const roc = join(repoRoot, 'dist/src/cli/roc.js');
    const { stdout } = await execFileAsync(process.execPath, [roc, 'ping', '-t', file]);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0]!, /^GUEST\s+ENDPOINT\s+STATE\s+VERSION\s+RTT\s+MODULES \/ ERROR$/);
    assert.match(
      lines[1]!,
      new RegExp(`^web1\\s+127\\.0\\.1\\.11:${port}\\s+up\\s+0\\.1\\.0\\s+\\d+\\.\\d ms\\s+remote_class\\.js$`),
    );
    assert.match(
      lines[3]!,
      new RegExp(`^db1\\s+127\\.0\\.1\\.13:${port}\\s+up\\s+0\\.1\\.0\\s+\\d+\\.\\d ms\\s+\\(library only\\)$`),
    );
    const status = await labStatus({ topology: file });
    assert.deepEqual(
      status.map((s) => [s.name, s.reachable, s.running]),
      [
        ['web1', true, true],
        ['web2', true, true],
        ['db1', true, true],
      ],
    );
    assert.ok(status.every((s) => s.log && existsSync(s.log)));
  });
});
