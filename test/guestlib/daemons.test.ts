/**
 * Daemons on guests (processes.start/stop/started): against an agent as its
 * own process, so that its stop, and what it stops with it, is the real one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTopology, Wait, guestLogs, type Topology } from '../../src/topology/index.js';
import { eventually } from '../../src/client/index.js';
import { rejection, startAgentProcess, type AgentProcess } from '../helpers.js';

let agent: AgentProcess;
let topology: Topology;
const dir = mkdtempSync(join(tmpdir(), 'roc-daemons-'));
const TOKEN = 'token-of-the-daemons-test';

before(async () => {
  agent = await startAgentProcess(['-p', '0'], { ...process.env, ROC_TOKEN: TOKEN, ROC_GUEST: 'd1' });
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'roc.yml'),
    `guests:\n  d1: { host: 127.0.0.1, port: ${agent.port}, token_file: token, timeout: 20s }\n`,
  );
  topology = loadTopology(join(dir, 'roc.yml'));
});
after(async () => {
  topology.close();
  await agent.stop();
});

const lib = () => topology.guest('d1').lib;
const alive = (pid: number): boolean =>
  existsSync(`/proc/${pid}`) && !/\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

describe('processes.start: daemons on a guest', () => {
  test('outlives the call that started it, logs to its file, is listed, and stop ends it with TERM', async () => {
    const log = join(dir, 'server.log');
    const d = await lib().processes.start({
      command: 'sh',
      args: ['-c', 'echo "serving on $PORT"; echo oops >&2; exec sleep 300'],
      env: { PORT: '4242' },
      log,
    });
    assert.equal(d.log, log);
    // The call has answered: the daemon runs on without it.
    await topology.guest('d1').waitFor(Wait.process(d.pid), { timeout: '5s' });
    await topology.guest('d1').waitFor(Wait.logLine(log, 'oops'), { timeout: '5s' });
    assert.match(readFileSync(log, 'utf8'), /serving on 4242\noops\n/);
    const listed = (await lib().processes.started()).find((x) => x.pid === d.pid);
    assert.equal(listed?.alive, true);
    assert.equal(listed?.command, 'sh -c echo "serving on $PORT"; echo oops >&2; exec sleep 300');
    const stopped = await lib().processes.stop(d.pid, { graceMs: 5_000 });
    assert.deepEqual([stopped.signal, stopped.killed, stopped.exitCode], ['SIGTERM', false, null]);
    await topology.guest('d1').waitFor(Wait.exited(d.pid), { timeout: '5s' });
    const after = (await lib().processes.started()).find((x) => x.pid === d.pid);
    assert.deepEqual([after?.alive, after?.signal], [false, 'SIGTERM']);
  });

  test('a daemon that ignores TERM gets KILL after the grace, and so does what it started', async () => {
    const d = await lib().processes.start({
      command: 'sh',
      args: ['-c', 'trap "" TERM; sleep 300 & echo "child $!"; wait'],
      log: join(dir, 'stubborn.log'),
    });
    const child = await eventually(
      () => Number(/child (\d+)/.exec(readFileSync(join(dir, 'stubborn.log'), 'utf8'))?.[1]) || false,
      { timeout: 5_000, message: 'the daemon to say its child' },
    );
    const stopped = await lib().processes.stop(d.pid, { graceMs: 200 });
    assert.equal(stopped.killed, true);
    assert.equal(stopped.signal, 'SIGKILL');
    await eventually(() => !alive(child), { timeout: 5_000, message: `the daemon's child ${child} to be gone` });
  });

  test('a daemon with no log gets one in the agent state folder, and guestLogs shows it', async () => {
    const d = await lib().processes.start({ command: 'sh', args: ['-c', 'echo "no log asked"; exec sleep 300'] });
    assert.match(d.log, /daemons\/sh-.*\.log$/);
    await topology.guest('d1').waitFor(Wait.logLine(d.log, 'no log asked'), { timeout: '5s' });
    const logs = await guestLogs({ topology, lines: 5 });
    const mine = logs.find((e) => e.source.startsWith(d.log));
    assert.ok(mine, `guestLogs lists ${d.log}: ${logs.map((e) => e.source).join(', ')}`);
    assert.match(mine.source, new RegExp(`\\(sh, pid ${d.pid}, running\\)`));
    assert.deepEqual(mine.lines, ['no log asked']);
    await lib().processes.stop(d.pid);
  });

  test('errors name what failed and what to do', async () => {
    const missing = await rejection(lib().processes.start({ command: 'no-such-program-roc' }));
    assert.match(missing.message, /cannot start no-such-program-roc: no such program on the guest's PATH/);
    const badLog = await rejection(lib().processes.start({ command: 'sleep', args: ['1'], log: '/nonexistent/x.log' }));
    assert.match(badLog.message, /cannot open its log \/nonexistent\/x\.log/);
    const stranger = await rejection(lib().processes.stop(1));
    assert.match(
      stranger.message,
      /pid 1 was not started by this agent's processes\.start \(processes\.started\(\) lists what was\)/,
    );
    const shape = await rejection(lib().processes.start({} as never));
    assert.match(shape.message, /processes\.start needs \{ command, args\?, env\?, cwd\?, log\? \}/);
  });
});

test("a topology guest's call timeout names the setting to raise: timeout: in its topology", async () => {
  const file = join(dir, 'slow.yml');
  writeFileSync(file, `guests:\n  slow: { host: 127.0.0.1, port: ${agent.port}, token_file: token, timeout: 300ms }\n`);
  const slow = loadTopology(file);
  try {
    const late = await rejection(slow.guest('slow').lib.command.run('sleep', ['2']));
    assert.equal(
      late.message,
      `roc.command.run on guest slow (127.0.0.1:${agent.port}) got no answer within 300 ms; the agent may be hung or stopped, or the method slow (raise the guest's timeout: in ${file}); the call may still be running and was not retried`,
    );
  } finally {
    slow.close();
  }
});

describe('what an agent started ends with it', () => {
  test('daemons and what command.shell left in the background are stopped when the agent stops', async () => {
    const own = await startAgentProcess(['-p', '0'], { ...process.env, ROC_TOKEN: TOKEN });
    const t = loadTopology(
      (() => {
        const file = join(dir, 'own.yml');
        writeFileSync(file, `guests:\n  own: { host: 127.0.0.1, port: ${own.port}, token_file: token }\n`);
        return file;
      })(),
    );
    try {
      const g = t.guest('own');
      const daemon = await g.lib.processes.start({ command: 'sleep', args: ['300'], log: join(dir, 'own.log') });
      // The shell answers at once; its background child keeps running in the group the agent made.
      const bg = await g.lib.command.shell('sleep 301 > /dev/null 2>&1 & echo $!');
      const background = Number(bg.stdout.trim());
      assert.ok(alive(daemon.pid) && alive(background), 'both run once their calls have answered');
      await own.stop();
      await eventually(() => !alive(daemon.pid) && !alive(background), {
        timeout: 10_000,
        message: `the daemon ${daemon.pid} and the background ${background} to be gone with the agent`,
      });
    } finally {
      t.close();
    }
  });
});
