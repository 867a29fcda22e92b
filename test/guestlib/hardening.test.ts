/**
 * Guest-side hardening: each test here failed before its fix (issue 21).
 * They run against an agent as its own process (a fault aimed at the agent
 * must never stop the test runner).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../src/agent/index.js';
import { eventually, loadTopology, serverProxy, type ServerProxy, type Topology } from '../../src/index.js';
import { CUT_MARK, MAX_LINE_BYTES } from '../../src/guestlib/line-splitter.js';
import { nftScript, type NetRule } from '../../src/guestlib/fault-net.js';
import { peerAddresses, stopAll } from '../../src/guestlib/fault-targets.js';
import { boundedRegex } from '../../src/guestlib/bounded-regex.js';
import { fixture, rejection, startAgentProcess, type AgentProcess } from '../helpers.js';

let agent: AgentProcess;
let proxy: ServerProxy;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'roc-hardening-'));
  agent = await startAgentProcess(['-p', '0'], { ...process.env, ROC_TOKEN: 'secret-token-of-the-agent' });
  proxy = serverProxy('127.0.0.1', agent.port, { timeout: 30_000, token: 'secret-token-of-the-agent' });
});
after(async () => {
  proxy.close();
  await agent.stop();
});

const call = <T>(method: string, ...params: unknown[]): Promise<T> => proxy.callWith<T>(method, params as never[]);

/** Pids whose command line holds `marker`, from /proc. */
function pidsWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const threadsOf = (pid: number): number[] => readdirSync(`/proc/${pid}/task`).map(Number);

describe('commands are bounded, and stop everything they started', () => {
  test('a timeout answers the call even when a child of the shell holds its output open', async () => {
    const marker = `roc-hardening-${process.pid}-a`;
    const started = Date.now();
    const r = await call<{ timedOut: boolean; exitCode: number | null; signal: string | null }>(
      'roc.command.shell',
      `sleep 15 # ${marker}\necho done`,
      { timeout: 500 },
    );
    assert.equal(r.timedOut, true);
    // Well under the 15 s the sleep would take: the group was stopped at the timeout.
    assert.ok(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
    await eventually(() => pidsWith(marker).length === 0, { timeout: 5_000, message: 'the sleep to be gone' });
  });

  test('leaving a stream stops a program that ignores SIGTERM, and a whole pipeline', async () => {
    const marker = `roc-hardening-${process.pid}-b`;
    writeFileSync(
      join(dir, 'roc.yml'),
      `guests:\n  g: { host: 127.0.0.1, port: ${agent.port}, timeout: 10s, token_file: token }\n`,
    );
    writeFileSync(join(dir, 'token'), 'secret-token-of-the-agent\n', { mode: 0o600 });
    await using topology = loadTopology(join(dir, 'roc.yml'));
    const chunks = await topology
      .guest('g')
      .lib.command.stream('sh', [
        '-c',
        `trap '' TERM; while :; do echo tick; sleep 0.05; done | cat | sed -u s/${marker}/x/`,
      ]);
    // The first chunk, then the host's break: return() on the agent.
    for await (const chunk of chunks) {
      assert.equal(chunk.stream, 'stdout');
      break;
    }
    await eventually(() => pidsWith(marker).length === 0, {
      timeout: 10_000,
      message: 'the loop (deaf to SIGTERM) and sed to be gone (SIGKILL after the grace)',
    });
  });

  test('programs the agent runs do not get its token', async () => {
    const r = await call<{ stdout: string }>('roc.command.run', 'env', []);
    assert.doesNotMatch(r.stdout, /ROC_TOKEN|secret-token-of-the-agent/);
    const given = await call<{ stdout: string }>('roc.command.run', 'sh', ['-c', 'echo "[$ROC_TOKEN]"'], {
      env: { ROC_TOKEN: 'the callers own' },
    });
    assert.equal(given.stdout.trim(), '[the callers own]', 'a caller may still pass one on purpose');
  });

  test('a wait on a command ends at its timeout, not when the command ends', async () => {
    const started = Date.now();
    const err = await rejection(
      call('roc.wait.until', { kind: 'command', line: 'sleep 8 & exit 1', exitCode: 0 }, 500),
    );
    assert.match(err.message, /WaitTimeoutError/);
    assert.ok(Date.now() - started < 5_000, `answered after ${Date.now() - started} ms`);
  });

  test('a wait whose caller hangs up ends and frees its call slot', async () => {
    const abandoned = Array.from({ length: 5 }, () => {
      const p = serverProxy('127.0.0.1', agent.port, { timeout: 60_000, token: 'secret-token-of-the-agent' });
      const pending = p
        .callWith('roc.wait.until', [{ kind: 'file', path: '/nonexistent/roc-never' }, 3_600_000])
        .catch(() => undefined);
      return { p, pending };
    });
    await eventually(async () => (await proxy.ping()).calls >= 5, {
      timeout: 10_000,
      message: 'the five waits to be running',
    });
    for (const a of abandoned) a.p.close();
    await eventually(async () => (await proxy.ping()).calls === 0, {
      timeout: 5_000,
      message: 'the abandoned waits to end',
    });
  });
});

describe('faults never reach the agent, and undo what they did', () => {
  test('pausing or killing the agent by one of its thread ids is refused', async () => {
    const pid = agent.child.pid!;
    const tids = threadsOf(pid).filter((t) => t !== pid);
    assert.ok(tids.length > 0, 'node runs threads');
    for (const tid of tids.slice(0, 3)) {
      const err = await rejection(call('roc.faults.pause', { pid: tid }, { ttlMs: 3_000 }));
      assert.match(err.message, /is the agent itself/);
      const killed = await rejection(call('roc.faults.kill', { pid: tid }, 'SIGSTOP'));
      assert.match(killed.message, /is the agent itself/);
    }
    assert.ok((await proxy.ping()).version, 'the agent still answers');
  });

  test('a name names a program, not a piece of a command line; never the agent', async () => {
    const marker = `kvnode${process.pid}`;
    // A program called kvnode…: sleep under that name.
    const program = join(dir, marker);
    copyFileSync(execSync('command -v sleep', { encoding: 'utf8', shell: '/bin/sh' }).trim(), program);
    chmodSync(program, 0o755);
    const target = spawn(program, ['30'], { stdio: 'ignore' });
    const bystander = spawn('sh', ['-c', `sleep 30; : vi /etc/${marker}.conf`], { stdio: 'ignore' });
    try {
      const r = await call<{ pids: number[] }>('roc.faults.kill', { process: marker }, 'SIGKILL');
      assert.deepEqual(r.pids, [target.pid]);
      assert.ok(existsSync(`/proc/${bystander.pid}`), 'a process that only mentions the name is left alone');
      // SIGCONT: other tests' agents, run beside this one, are roc-agent.js too and may be named; they must not be hurt.
      const self = await call<{ pids: number[] }>('roc.faults.kill', { process: 'roc-agent.js' }, 'SIGCONT').then(
        (r) => r,
        (err: Error) => err,
      );
      if (self instanceof Error) assert.match(self.message, /no process roc-agent\.js runs|is the agent itself/);
      else assert.ok(!self.pids.includes(agent.child.pid!), 'the agent never signals itself');
      const bad = await rejection(call('roc.faults.kill', { process: '/usr/bin/sleep' }));
      assert.match(bad.message, /process names a program by name \(no path\)/);
    } finally {
      target.kill('SIGKILL');
      bystander.kill('SIGKILL');
    }
  });

  test('a pause that fails part way resumes what it stopped, and the fault is refused', () => {
    const mine = spawn('sleep', ['30'], { stdio: 'ignore' });
    const sent: string[] = [];
    try {
      // The second process cannot be stopped (another user's): the first must not stay stopped.
      const kill = (pid: number, sig: NodeJS.Signals): true => {
        sent.push(`${sig} ${pid === mine.pid ? 'mine' : pid}`);
        if (pid !== mine.pid) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
        return process.kill(pid, sig);
      };
      assert.throws(
        () => stopAll([mine.pid!, 4_000_000], 'process sleep', kill),
        (err: Error & { reason?: string }) =>
          /process sleep: pid 4000000 could not be stopped \(EPERM\); the 1 stopped before it were resumed, nothing is paused/.test(
            err.message,
          ) && err.reason === 'permission',
      );
      assert.deepEqual(sent, ['SIGSTOP mine', 'SIGSTOP 4000000', 'SIGCONT mine']);
      const state = readFileSync(`/proc/${mine.pid}/stat`, 'utf8').split(') ')[1]![0];
      assert.notEqual(state, 'T', 'our sleep is not left stopped');
    } finally {
      mine.kill('SIGKILL');
    }
  });

  test('unit names that a program would read as options are refused', async () => {
    const active = await rejection(call('roc.services.isActive', '--version'));
    assert.match(active.message, /needs a unit name such as nginx/);
    const hx = await rejection(call('roc.services.status', '-Hx'));
    assert.match(hx.message, /not starting with -/);
    const paused = await rejection(call('roc.faults.pause', { unit: '--all' }));
    assert.match(paused.message, /a unit target needs a unit name/);
    const waited = await rejection(call('roc.wait.until', { kind: 'service', unit: '-H', state: 'active' }, 100));
    assert.match(waited.message, /wait\.until: condition\.unit needs a unit name/);
  });
});

describe('the nemesis touches only its own', () => {
  test('the controller is recognized however its address is spelled', async () => {
    for (const [peer, caller] of [
      ['2001:DB8::10', '2001:db8::10'],
      ['2001:db8:0:0::10', '2001:DB8::10'],
      ['10.0.0.9', '::ffff:10.0.0.9'],
    ] as const) {
      await assert.rejects(
        peerAddresses([peer], caller),
        (err: Error & { reason?: string }) => err.reason === 'controller',
      );
    }
    assert.deepEqual(await peerAddresses(['2001:DB8:0::20'], '2001:db8::10'), ['2001:db8::20']);
  });

  /** A block of one peer that lapses at `deadline` on the monotonic clock. */
  const blockUntil = (deadline: number): NetRule => ({
    id: 'f1',
    kind: 'block',
    direction: 'in',
    peers: ['198.18.0.2'],
    percent: 100,
    deadline,
  });

  test("each agent has a table of its own (named for its port): one agent's rules never replace another's", () => {
    const rule = blockUntil(10_000);
    const a = nftScript([rule], 7007, 0);
    const b = nftScript([], 7008, 0);
    assert.match(
      a,
      /^add table inet roc_nemesis_7007\ndelete table inet roc_nemesis_7007\ntable inet roc_nemesis_7007 \{/,
    );
    assert.doesNotMatch(b, /roc_nemesis_7007/);
    assert.match(b, /^add table inet roc_nemesis_7008\ndelete table inet roc_nemesis_7008\n$/);
  });

  test('TTLs run on the monotonic clock: moving the wall clock does not shorten other faults', () => {
    const rule = blockUntil(60_000);
    // The same monotonic instant gives the same timeout whatever Date.now() says.
    assert.match(nftScript([rule], 7007, 30_000), /timeout 30s/);
  });

  test('a state file planted by someone else is not believed, and no qdisc ROC did not make is removed', async () => {
    // An agent keeps its state in a folder of its own: mode 0700, its user's.
    const folder = join(tmpdir(), `roc-agent-${process.getuid?.()}`);
    assert.ok(existsSync(folder));
    assert.equal(statSync(folder).mode & 0o077, 0, 'the folder is private');
    // A folder anyone may write to is not used, and what was planted there is not acted on.
    const open = mkdtempSync(join(dir, 'open-'));
    chmodSync(open, 0o777);
    const planted = join(open, 'planted.json');
    writeFileSync(planted, JSON.stringify([{ kind: 'pause', pids: [process.pid] }]));
    const other = await startAgentProcess(['-p', '0'], { ...process.env, STATE_DIRECTORY: open });
    try {
      await eventually(() => other.lines.some((l) => l.includes('not a private folder')), {
        timeout: 5_000,
        message: 'the agent to say it does not use the folder',
      });
      assert.ok(existsSync(planted), 'nothing planted was read or removed');
    } finally {
      await other.stop();
    }
  });
});

describe('followers and tails: bounded lines, linear time, nothing left open', () => {
  let topology: Topology;
  before(() => {
    writeFileSync(
      join(dir, 'follow.yml'),
      `guests:\n  g: { host: 127.0.0.1, port: ${agent.port}, timeout: 20s, token_file: token2 }\n`,
    );
    writeFileSync(join(dir, 'token2'), 'secret-token-of-the-agent\n', { mode: 0o600 });
    topology = loadTopology(join(dir, 'follow.yml'));
  });
  after(() => topology.close());

  const fds = (): number => readdirSync(`/proc/${agent.child.pid}/fd`).length;

  test('a follow that ends in an error leaves no file or watcher open', async () => {
    const g = topology.guest('g');
    // Warm up whatever the first follow opens for good (the agent's own modules).
    await rejection(
      (async () => {
        for await (const l of await g.lib.files.follow(dir, { from: 'start' })) void l;
      })(),
    );
    const before = fds();
    for (let i = 0; i < 20; i++) {
      const err = await rejection(
        (async () => {
          for await (const l of await g.lib.files.follow(dir, { from: 'start' })) void l;
        })(),
      );
      assert.match(err.message, /EISDIR/);
    }
    assert.ok(fds() <= before + 2, `fds ${before} -> ${fds()}: a failed follow leaked`);
  });

  test('a line with no end is cut at the bound and costs no more than the bound, in a follow and in a tail', async () => {
    const g = topology.guest('g');
    const file = join(dir, 'long.log');
    // 16 MiB with no newline, then a short line.
    writeFileSync(file, Buffer.alloc(16 * 1024 * 1024, 0x61));
    const { appendFileSync } = await import('node:fs');
    appendFileSync(file, '\nshort\n');
    const got: string[] = [];
    for await (const l of await g.lib.files.follow(file, { from: 'start' })) {
      got.push(l);
      if (got.length === 2) break;
    }
    assert.equal(got[0]!.length, MAX_LINE_BYTES + CUT_MARK.length);
    assert.ok(got[0]!.endsWith(CUT_MARK));
    assert.equal(got[1], 'short');
    const tail = await g.lib.files.tail(file, 2);
    assert.equal(tail.length, 2);
    assert.match(tail[0]!, /^\[… cut: the line began more than 65536 bytes earlier\] a+/);
    assert.ok(tail[0]!.length < MAX_LINE_BYTES + 200, `the tail's line is bounded: ${tail[0]!.length}`);
    assert.equal(tail[1], 'short');
  });

  test('a UTF-8 character split across two reads arrives whole', async () => {
    const g = topology.guest('g');
    const file = join(dir, 'utf8.log');
    writeFileSync(file, '');
    const lines = await g.lib.files.follow(file);
    const it = lines[Symbol.asyncIterator]();
    const { appendFileSync } = await import('node:fs');
    const word = Buffer.from('naïve ☃ café\n', 'utf8');
    // Each byte written on its own: the follower may read between any two of them.
    for (const b of word) appendFileSync(file, Buffer.from([b]));
    assert.deepEqual((await it.next()).value, 'naïve ☃ café');
    await it.return!();
  });
});

describe("a caller's pattern cannot freeze the agent", () => {
  test('a pattern that backtracks without bound, on a line made for it: the agent keeps answering', async () => {
    const file = join(dir, 'redos.log');
    writeFileSync(file, `${'a'.repeat(40)}b\n`);
    const waiting = rejection(
      call(
        'roc.wait.until',
        { kind: 'logLine', path: file, pattern: { source: '(a+)+$', flags: '' }, times: 1, from: 'start' },
        2_000,
      ),
    );
    // Answered while the wait runs: nothing holds the agent's one thread.
    const quick = serverProxy('127.0.0.1', agent.port, { timeout: 3_000, token: 'secret-token-of-the-agent' });
    for (let i = 0; i < 3; i++) assert.ok((await quick.ping()).version);
    quick.close();
    assert.match((await waiting).message, /WaitTimeoutError/);
  });

  test('a pattern only the backtracking engine runs gets a time budget per line, and says so', () => {
    const re = boundedRegex({ source: '^(a|a)*\\1$', flags: '' });
    assert.equal(re.test('aa'), true);
    assert.throws(
      () => re.test(`${'a'.repeat(40)}b`),
      /the pattern \/\^\(a\|a\)\*\\1\$\/ took more than 100 ms on one line of 41 characters \(it backtracks without bound\)/,
    );
  });
});

describe('everything an agent started ends with it', () => {
  test('a command running and a stream nobody reads are stopped when the agent stops', async () => {
    const marker = `roc-hardening-${process.pid}-end`;
    const short = await startAgentProcess(['-p', '0']);
    const p = serverProxy('127.0.0.1', short.port, { timeout: 60_000 });
    const running = p.callWith('roc.command.shell', [`sleep 120 # ${marker}-run`]).catch(() => undefined);
    const streaming = await p.callWith('roc.command.stream', ['sh', ['-c', `sleep 120 # ${marker}-stream`]]);
    void streaming;
    await eventually(() => pidsWith(`${marker}-run`).length > 0 && pidsWith(`${marker}-stream`).length > 0, {
      timeout: 5_000,
      message: 'both programs to run',
    });
    p.close();
    await short.stop();
    await running;
    await eventually(() => pidsWith(marker).length === 0, {
      timeout: 5_000,
      message: `nothing the agent started to be left (${pidsWith(marker).join(', ')})`,
    });
  });
});

describe('an agent in the host process (Agent.start)', () => {
  test('a program that does not read its input does not take the host process down', async () => {
    await using embedded = await Agent.start({ modules: [], port: 0 });
    await using p = serverProxy('127.0.0.1', embedded.port, { timeout: 10_000 });
    const stdin = 'x'.repeat(4 * 1024 * 1024);
    const run = await p.callWith<{ exitCode: number }>('roc.command.run', ['true', [], { input: stdin }]);
    assert.equal(run.exitCode, 0);
    writeFileSync(join(dir, 'stream.yml'), `guests:\n  e: { host: 127.0.0.1, port: ${embedded.port} }\n`);
    await using topology = loadTopology(join(dir, 'stream.yml'));
    const chunks = [];
    for await (const c of await topology.guest('e').lib.command.stream('true', [], { input: stdin })) chunks.push(c);
    assert.equal(chunks.at(-1)?.exitCode, 0);
  });
});

describe('an agent whose output nobody reads', () => {
  test('keeps answering after its stdout and stderr lose their reader', async () => {
    const lonely = await startAgentProcess(['-p', '0', '-m', fixture('chatty.js')]);
    try {
      lonely.child.stdout?.destroy();
      lonely.child.stderr?.destroy();
      const p = serverProxy('127.0.0.1', lonely.port, { timeout: 5_000 });
      for (let i = 0; i < 5; i++) assert.equal(await p.callWith('say', [`line ${i}`]), `line ${i}`);
      for (let i = 0; i < 5; i++) assert.ok((await p.ping()).version, 'still answering');
      p.close();
    } finally {
      await lonely.stop();
    }
  });
});
