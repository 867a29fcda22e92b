import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually, serverProxy } from '../../src/index.js';
import { retryUntil } from '../../src/wire/index.js';
import { agentBin, example, fixture, freePort, repoRoot, startAgentProcess } from '../helpers.js';

const execFileAsync = promisify(execFile);
const rocBin = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [agentBin, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const start = (args: string[]) => startAgentProcess(args);

describe('roc-agent', () => {
  test('prints the classes it serves and where it listens; serve is the default command', async () => {
    for (const prefix of [[], ['serve']]) {
      const { child, port, lines, exited } = await start([...prefix, '-m', example('remote_class.js'), '-p', '0']);
      assert.deepEqual(lines.slice(0, 3), [
        'Available class(es): Point, RemoteClass',
        'Available function(s): version',
        'Guest library: roc.command, roc.faults, roc.files, roc.network, roc.processes, roc.services, roc.system, roc.wait',
      ]);
      assert.match(
        lines[3]!,
        new RegExp(`^Listening on http://127\\.0\\.0\\.1:${port}/ \\(boot [0-9a-f]{8}, pid ${child.pid}\\)$`),
      );
      const proxy = serverProxy('127.0.0.1', port);
      assert.deepEqual(await proxy.classes(), ['Point', 'RemoteClass']);
      await proxy.shutdown();
      assert.equal(await exited, 0);
      proxy.close();
    }
  });

  test('-q prints nothing; SIGTERM stops it with exit code 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [agentBin, '-q', '-m', example('remote_class.js'), '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    const proxy = serverProxy('127.0.0.1', port);
    await proxy.waitUntilReady({ timeout: 10_000 });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(output, '');
    proxy.close();
  });

  test('served code that throws outside a call is logged and the agent keeps serving', async () => {
    const a = await start(['-m', fixture('edge_cases.js'), '-p', '0']);
    let stderr = '';
    a.child.stderr!.on('data', (d) => (stderr += d));
    const proxy = serverProxy('127.0.0.1', a.port);
    const handle = await proxy.create('Careless', []);
    assert.equal(await proxy.call(`${handle}.throwLater`, 'from a timer'), 'scheduled');
    assert.equal(await proxy.call(`${handle}.rejectUnobserved`, 'never awaited'), 'rejected');
    await eventually(() => /from a timer/.test(stderr) && /never awaited/.test(stderr), {
      timeout: 5_000,
      interval: 10,
      message: "both errors on the agent's stderr",
    });
    assert.deepEqual(await proxy.classes(), ['Account', 'Card', 'Careless', 'Exploding']);
    assert.match(
      stderr,
      /roc-agent: served code threw outside any call \(the agent keeps running\): Error: from a timer/,
    );
    assert.match(
      stderr,
      /roc-agent: a promise in served code was rejected and never handled \(the agent keeps running\): Error: never awaited/,
    );
    await proxy.shutdown();
    assert.equal(await a.exited, 0);
    proxy.close();
  });

  test('a missing module: exit 1 and a message naming it', async () => {
    const r = await run(['-m', 'nowhere/missing.js', '-p', '0']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^roc-agent: module not found: \/.*nowhere\/missing\.js \(given as -m nowhere\/missing\.js\); pass a \.js, \.mjs or \.cjs file, or a directory of them\n$/,
    );
  });

  test('a module that throws on import: exit 1 and the error', async () => {
    const r = await run(['-m', fixture('throws_on_import.js'), '-p', '0']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^roc-agent: module \/.*throws_on_import\.js threw while loading: Error: this module refuses to load\n/,
    );
  });

  test('nothing to serve: exit 1 and how to pass a module', async () => {
    const r = await run(['-p', '0', '--no-guest-lib']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'roc-agent: nothing to serve: no module (-m) and the guest library is off; pass -m <file or directory>, e.g. roc-agent -m examples/remote_class.js -p 7007\n',
    );
  });

  test('no module: the agent serves the guest library alone', async () => {
    const a = await start(['-p', '0']);
    assert.deepEqual(a.lines.slice(0, 2), [
      'Available class(es): (none)',
      'Guest library: roc.command, roc.faults, roc.files, roc.network, roc.processes, roc.services, roc.system, roc.wait',
    ]);
    const proxy = serverProxy('127.0.0.1', a.port);
    assert.equal(await proxy.call('roc.system.hostname'), (await import('node:os')).hostname());
    await proxy.shutdown();
    assert.equal(await a.exited, 0);
    proxy.close();
  });

  test('--no-guest-lib: roc.* methods are unknown', async () => {
    const a = await start(['-p', '0', '--no-guest-lib', '-m', example('remote_class.js')]);
    const proxy = serverProxy('127.0.0.1', a.port);
    await assert.rejects(proxy.call('roc.system.hostname'), /method "roc\.system\.hostname" is not supported/);
    await proxy.shutdown();
    await a.exited;
    proxy.close();
  });

  test('a bad port is refused by the option parser', async () => {
    const r = await run(['-m', example('remote_class.js'), '-p', 'http']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /option '-p, --port <port>' argument 'http' is invalid\. bad port "http": expected a number from 0 to 65535/,
    );
  });

  test('a port in use: exit 1 and a message with the way out', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const { port } = blocker.address() as { port: number };
    try {
      const r = await run(['-m', example('remote_class.js'), '-p', String(port)]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `roc-agent: cannot listen on 127.0.0.1:${port}: the port is already in use (another agent? roc-agent -e asks it to shut down first)\n`,
      );
    } finally {
      blocker.close();
    }
  });

  test('-e asks the agent already on the port to shut down, then takes the port', async () => {
    const first = await start(['-m', example('remote_class.js'), '-p', '0']);
    const second = await start(['-e', '-m', fixture('edge_cases.js'), '-p', String(first.port)]);
    assert.equal(await first.exited, 0);
    assert.equal(second.port, first.port);
    assert.ok(second.lines.includes(`asked the agent on 127.0.0.1:${first.port} to shut down`));
    const proxy = serverProxy('127.0.0.1', second.port);
    assert.deepEqual(await proxy.classes(), ['Account', 'Card', 'Careless', 'Exploding']);
    await proxy.shutdown();
    assert.equal(await second.exited, 0);
    proxy.close();
  });

  test('execa loads on the first guest call that needs it, not at start (it cost the idle agent ~4 MB)', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', fixture('trace-imports.mjs'), agentBin, '-q', '-m', example('remote_class.js'), '-p', String(port)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let traced = '';
    child.stderr!.on('data', (d) => (traced += d));
    const proxy = serverProxy('127.0.0.1', port);
    try {
      await proxy.waitUntilReady({ timeout: 10_000 });
      // The hooks report from their own thread; wait until they have reported what start-up loaded.
      await retryUntil(
        5_000,
        20,
        () => traced.includes('import: saxes'),
        () => new Error(`the import tracer reported nothing:\n${traced}`),
      );
      assert.match(traced, /import: saxes/, 'the import tracer works');
      assert.doesNotMatch(traced, /import: execa/, `execa was loaded at start:\n${traced}`);
      // command.run starts its programs itself; systemctl still goes through execa.
      const ran = await proxy.callWith<{ exitCode: number }>('roc.command.run', ['true', []]);
      assert.equal(ran.exitCode, 0);
      await proxy.callWith('roc.services.isActive', ['roc-no-such-unit']).catch(() => undefined);
      await retryUntil(
        5_000,
        20,
        () => traced.includes('import: execa'),
        () => new Error(`execa was not loaded by the first systemctl:\n${traced}`),
      );
      assert.match(traced, /import: execa/);
    } finally {
      proxy.close();
      child.kill('SIGKILL');
    }
  });

  test('--no-remote-shutdown refuses shutdown() with a clear fault', async () => {
    const a = await start(['--no-remote-shutdown', '-m', example('remote_class.js'), '-p', '0']);
    const proxy = serverProxy('127.0.0.1', a.port);
    await assert.rejects(
      proxy.shutdown(),
      /shutdown on 127\.0\.0\.1:\d+ failed: ForbiddenError: remote shutdown is turned off on this agent \(--no-remote-shutdown\)/,
    );
    assert.deepEqual(await proxy.classes(), ['Point', 'RemoteClass']);
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0);
    proxy.close();
  });
});

describe('roc quickstart', () => {
  test('runs the quickstart end to end and leaves no agent behind', async () => {
    const { stdout } = await execFileAsync(process.execPath, [rocBin, 'quickstart'], { timeout: 30_000 });
    assert.match(stdout, /proxy\.classes\(\)\s+-> \["Point","RemoteClass"\]/);
    assert.match(
      stdout,
      /RModule\.RemoteClass\(1, 2, 3\)\s+-> RemoteObject<RemoteClass RemoteClass_[0-9a-f]{8}_0 on 127\.0\.0\.1:\d+>/,
    );
    assert.match(stdout, /inst\.add\(2, 3\)\s+-> 5/);
    assert.match(stdout, /inst\.boom\('bad thing'\)\s+-> RemoteError: ValueError: bad thing/);
    assert.match(stdout, /proxy\.instances\(\) {2}\(after release\)\s+-> \[\]/);
    assert.match(stdout, /proxy\.shutdown\(\)\s+-> agent exited with code 0/);
  });
});
