import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, readLabState, isRunning, netnsName, labIdOf } from '../../src/lab/index.js';
import { eventually, loadTopology, NemesisError, RemoteError, type Topology } from '../../src/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { fixture, rejection } from '../helpers.js';

const why =
  process.getuid?.() !== 0
    ? 'needs root (network namespaces and firewall rules)'
    : spawnSync('ip', ['-V']).status !== 0
      ? 'needs iproute2 (ip)'
      : spawnSync('nft', ['--version']).status !== 0
        ? 'needs nftables (nft)'
        : false;
if (why) console.log(`# SKIP the nemesis on a --netns lab: ${why}`);

// 198.18.0.0/15 is set aside for network tests (RFC 2544): these addresses
// exist only on the bridge and in the namespaces this test makes, and every
// fault is made inside those namespaces.
const HOSTS = { n1: '198.18.58.11', n2: '198.18.58.12', n3: '198.18.58.13' } as const;
type Name = keyof typeof HOSTS;
const PORT = 9100;

interface Traffic {
  listen(): Promise<boolean>;
  send(host: string, n: number): Promise<number>;
  countFrom(address: string): Promise<number>;
  startSleeper(): Promise<number>;
}

let dir: string;
let file: string;
let topology: Topology;
const traffic = {} as Record<Name, Traffic>;

function inNs(guest: Name, cmd: string[]): { status: number | null; stdout: string; stderr: string } {
  const ns = netnsName(labIdOf(file), guest);
  const r = spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const nemesisTable = (guest: Name): boolean =>
  inNs(guest, ['nft', 'list', 'table', 'inet', 'roc_nemesis_7007']).status === 0;

async function connects(from: Name, to: Name): Promise<boolean> {
  return (await topology.guest(from).lib.network.canConnect(HOSTS[to], PORT, 400)).ok;
}

/** Datagrams `to` receives of `n` that `from` sends. */
async function datagrams(from: Name, to: Name, n: number): Promise<number> {
  const before = await traffic[to].countFrom(HOSTS[from]);
  await traffic[from].send(HOSTS[to], n);
  // A marker datagram the other way round would not prove arrival; wait for the count to settle instead.
  let last = -1;
  let now = await traffic[to].countFrom(HOSTS[from]);
  await eventually(
    async () => {
      last = now;
      now = await traffic[to].countFrom(HOSTS[from]);
      return now === last;
    },
    { timeout: 5_000, interval: 100 },
  );
  return now - before;
}

async function startLab(env: Record<string, string> = {}): Promise<void> {
  await labUp({ topology: file, netns: true, env });
  topology?.close();
  topology = loadTopology(file);
  for (const name of Object.keys(HOSTS) as Name[]) {
    traffic[name] = (await topology.guest(name).module.Traffic!(HOSTS[name], PORT)) as Traffic;
    await traffic[name].listen();
  }
}

describe('the nemesis on a --netns lab', { skip: why }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roc-nemesis-'));
    writeTokenFile(join(dir, '.roc', 'token'));
    file = join(dir, 'roc.yml');
    writeFileSync(
      file,
      [
        `defaults: { port: 7007, token_file: .roc/token, timeout: 10s, modules: [${fixture('traffic.js')}] }`,
        'guests:',
        ...Object.entries(HOSTS).map(([n, h]) => `  ${n}: { host: ${h} }`),
        '',
      ].join('\n'),
    );
    await startLab();
  });

  after(async () => {
    topology?.close();
    await labDown({ topology: file });
  });

  test('a partition cuts links between the groups both ways, keeps links inside them and the host’s calls; heal restores them', async () => {
    assert.equal(await connects('n1', 'n2'), true);
    await using fault = await topology.nemesis.partition([['n1'], ['n2', 'n3']], { ttl: '1m' });
    assert.deepEqual(
      fault.parts.map((p) => p.guest),
      ['n1', 'n2', 'n3'],
    );
    assert.deepEqual(
      [await connects('n1', 'n2'), await connects('n2', 'n1'), await connects('n3', 'n1'), await connects('n2', 'n3')],
      [false, false, false, true],
    );
    // The controller's calls go on: the agents' port is never cut.
    assert.equal((await topology.guests().ping()).ok, true);
    const status = await topology.nemesis.status();
    const n1 = status.n1 as {
      kind: string;
      detail: string;
      expiresAt: Date;
      createdAtMs: number;
      expiresAtMs: number;
    }[];
    assert.equal(n1.length, 1);
    assert.equal(n1[0]!.kind, 'block');
    assert.equal(n1[0]!.detail, `drops packets from ${HOSTS.n2}, ${HOSTS.n3}`);
    assert.ok(n1[0]!.expiresAt.getTime() > Date.now() + 30_000);
    // To the millisecond, for a report's timeline (the dateTime has whole seconds).
    assert.equal(n1[0]!.expiresAtMs - n1[0]!.createdAtMs, 60_000);
    assert.equal(Math.floor(n1[0]!.createdAtMs / 1000), Math.floor(n1[0]!.expiresAt.getTime() / 1000) - 60);
    assert.ok(fault.startedAt >= n1[0]!.createdAtMs && fault.healedAt === undefined);
    await fault.heal();
    assert.ok(fault.healedAt! >= fault.startedAt);
    assert.deepEqual(Object.keys(fault.toJSON()), ['kind', 'description', 'startedAt', 'healedAt']);
    assert.deepEqual([await connects('n1', 'n2'), await connects('n2', 'n1')], [true, true]);
    for (const n of ['n1', 'n2', 'n3'] as const) assert.equal(nemesisTable(n), false, `${n} keeps no table`);
  });

  test('a one-way cut drops only what one guest sends to the other; loss drops about the share asked', async () => {
    {
      await using cut = await topology.nemesis.cut('n1', 'n2', { oneWay: true });
      assert.equal(cut.description, 'cut n1 -> n2');
      assert.equal(await datagrams('n1', 'n2', 20), 0, 'n1 -> n2 is cut');
      assert.equal(await datagrams('n2', 'n1', 20), 20, 'n2 -> n1 still flows');
    }
    assert.equal(await datagrams('n1', 'n2', 20), 20, 'healed at the end of the block');
    {
      await using lossy = await topology.nemesis.loss('n2', { percent: 50, peers: ['n1'] });
      const got = await datagrams('n1', 'n2', 400);
      // Binomial(400, 0.5): outside 140..260 with a chance under 1e-9.
      assert.ok(got >= 140 && got <= 260, `${got} of 400 arrived`);
      assert.equal(await datagrams('n3', 'n2', 50), 50, 'only packets from the peers named are lost');
      void lossy;
    }
  });

  test('a fault heals by itself when its TTL passes', async () => {
    const fault = await topology.nemesis.isolate('n3', { ttl: '1s' });
    assert.equal(await connects('n1', 'n3'), false);
    await eventually(() => connects('n1', 'n3'), {
      timeout: 10_000,
      interval: 200,
      message: 'n3 reachable after its TTL',
    });
    await eventually(async () => (await topology.guest('n3').lib.faults.status()).length === 0, { timeout: 5_000 });
    await fault.heal(); // lapsed already: nothing left to undo, and no error
  });

  test('heal removes only what ROC made: the guest’s own nftables table and iptables rule stay', async () => {
    assert.equal(inNs('n2', ['nft', 'add', 'table', 'inet', 'mine']).status, 0);
    assert.equal(
      inNs('n2', ['nft', 'add', 'chain', 'inet', 'mine', 'input', '{ type filter hook input priority 0; }']).status,
      0,
    );
    assert.equal(inNs('n2', ['iptables', '-w', '-A', 'INPUT', '-s', '198.18.58.99', '-j', 'DROP']).status, 0);
    const fault = await topology.nemesis.isolate('n2');
    await topology.nemesis.heal();
    assert.equal(fault.healed, true);
    assert.equal(inNs('n2', ['nft', 'list', 'table', 'inet', 'mine']).status, 0, 'the own table is still there');
    assert.match(inNs('n2', ['iptables', '-w', '-S', 'INPUT']).stdout, /-A INPUT -s 198\.18\.58\.99\/32 -j DROP/);
    assert.equal(nemesisTable('n2'), false);
  });

  test('all or nothing: when one guest cannot make its part, the others are undone and the error names it', async () => {
    const n3 = readLabState(file)!.guests.find((g) => g.name === 'n3')!;
    process.kill(n3.pid, 'SIGTERM');
    await eventually(() => !isRunning(n3.pid), { timeout: 10_000 });
    const err = await rejection(topology.nemesis.partition([['n1'], ['n2'], ['n3']]));
    assert.ok(err instanceof NemesisError, String(err));
    assert.equal(err.guest, 'n3');
    assert.deepEqual([...err.rolledBack].sort(), ['n1', 'n2']);
    assert.match(
      err.message,
      /^partition n1 \| n2 \| n3 was not made: n3 refused: .*connection refused.*; undone on n[12], n[12], so no part of it is left$/,
    );
    for (const n of ['n1', 'n2'] as const) assert.equal(nemesisTable(n), false, `${n} holds no rule`);
    assert.deepEqual((await topology.nemesis.status()).n1, []);
    await startLab();
  });

  test('an agent that stops heals its faults first', async () => {
    await topology.nemesis.cut('n1', 'n2', { ttl: '5m' });
    assert.equal(nemesisTable('n2'), true);
    const n2 = readLabState(file)!.guests.find((g) => g.name === 'n2')!;
    process.kill(n2.pid, 'SIGTERM');
    await eventually(() => !isRunning(n2.pid), { timeout: 10_000 });
    assert.equal(nemesisTable('n2'), false, 'n2 removed its rules as it stopped');
    await topology.nemesis.heal(); // n1's part, and n2's (gone already)
    await startLab();
  });

  test('a killed agent’s rules are gone when it starts again', async () => {
    const fault = await topology.nemesis.isolate('n2', { ttl: '5m' });
    assert.equal(nemesisTable('n2'), true);
    const n2 = readLabState(file)!.guests.find((g) => g.name === 'n2')!;
    process.kill(n2.pid, 'SIGKILL');
    await eventually(() => !isRunning(n2.pid), { timeout: 10_000 });
    assert.equal(nemesisTable('n2'), true, 'a killed agent could not undo its rules');
    await startLab();
    assert.equal(nemesisTable('n2'), false, 'its next start did');
    assert.equal(nemesisTable('n1'), true, "the other guests' parts are theirs to heal");
    await fault.heal(); // n2's part is gone already: healing it there is no error
    assert.deepEqual([await connects('n1', 'n2'), await connects('n2', 'n1')], [true, true]);
  });

  test('pause, resume and kill act on the named guest’s process, and never on the agent', async () => {
    const sleepers = { n1: await traffic.n1.startSleeper(), n2: await traffic.n2.startSleeper() };
    const state = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!;
    const paused = await topology.nemesis.pause('n2', { process: 'sleep' });
    assert.deepEqual(paused.parts[0]!.info.pids, [sleepers.n2]);
    // A signal is delivered when the process is next scheduled: wait for its state, with a deadline.
    await eventually(() => state(sleepers.n2) === 'T', { timeout: 5_000, interval: 10, message: 'n2 sleep stopped' });
    assert.equal(state(sleepers.n1), 'S');
    await paused.heal();
    await eventually(() => state(sleepers.n2) === 'S', { timeout: 5_000, interval: 10, message: 'n2 sleep resumed' });
    const killed = await topology.nemesis.kill('n2', { process: 'sleep', signal: 'SIGTERM' });
    assert.deepEqual(killed, { guest: 'n2', signal: 'SIGTERM', pids: [sleepers.n2] });
    await eventually(() => !isRunning(sleepers.n2), { timeout: 5_000 });
    assert.equal(isRunning(sleepers.n1), true);
    const agentPid = readLabState(file)!.guests.find((g) => g.name === 'n1')!.pid;
    const self = await rejection(topology.nemesis.pause('n1', { pid: agentPid }));
    assert.ok(self instanceof NemesisError);
    assert.match(self.message, /is the agent itself/);
    const none = await rejection(topology.nemesis.pause('n3', { process: 'sleep' }));
    assert.match(
      none.message,
      /n3 refused: no process sleep runs on this guest \(lab guest n3: only processes its agent started count\)/,
    );
    const gone = await rejection(topology.nemesis.kill('n3', { process: 'sleep' }));
    assert.ok(gone instanceof NemesisError, 'kill refuses as every other fault does');
    assert.match(
      gone.message,
      /^kill \(SIGKILL\) of sleep on n3 was not made: n3 refused: no process sleep runs on this guest/,
    );
    const all = await rejection(topology.nemesis.loss('n1', { percent: 100 }));
    assert.ok(all instanceof TypeError);
    assert.match(
      all.message,
      /nemesis\.loss: percent is a whole number from 1 to 99 \(all packets lost is a partition/,
    );
  });

  test('clock faults are refused in a lab, and a delay either works or names the missing queueing discipline', async () => {
    const clock = await rejection(topology.nemesis.clock('n1', { offset: '+30s' }));
    assert.ok(clock instanceof NemesisError);
    assert.equal(clock.refusals[0]!.reason, 'clock-shared');
    const delayed = await topology.nemesis.delay('n1', { ms: 100, peers: ['n2'] }).then(
      (f) => f,
      (e: unknown) => e as NemesisError,
    );
    if (delayed instanceof NemesisError) {
      assert.equal(delayed.refusals[0]!.reason, 'no-qdisc');
      assert.match(delayed.message, /queueing discipline, which this guest's kernel does not have .* modprobe sch_/);
      assert.ok(delayed.refusals[0]!.error instanceof RemoteError);
    } else {
      await delayed.heal();
    }
  });
});

describe(
  'the nemesis with iptables where nftables is missing',
  { skip: why || (spawnSync('iptables', ['--version']).status !== 0 && 'needs iptables') },
  () => {
    before(async () => {
      await labDown({ topology: file }).catch(() => undefined);
      await startLab({ ROC_NEMESIS_FIREWALL: 'iptables' });
    });
    after(async () => {
      topology?.close();
      await labDown({ topology: file });
    });

    test('the same partition, in chains of its own that heal removes', async () => {
      await using fault = await topology.nemesis.partition([['n1'], ['n2', 'n3']]);
      assert.deepEqual([await connects('n1', 'n2'), await connects('n2', 'n3')], [false, true]);
      assert.match(
        inNs('n1', ['iptables', '-w', '-S', 'ROC_NEMESIS_IN_7007']).stdout,
        /-A ROC_NEMESIS_IN_7007 -s 198\.18\.58\.12\/32 .*-j DROP/,
      );
      assert.equal(nemesisTable('n1'), false);
      await fault.heal();
      assert.notEqual(inNs('n1', ['iptables', '-w', '-S', 'ROC_NEMESIS_IN_7007']).status, 0, 'the chain is gone');
      assert.equal(await connects('n1', 'n2'), true);
    });
  },
);
