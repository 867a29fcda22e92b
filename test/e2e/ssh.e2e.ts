/**
 * The ssh tier: booted Debian 12 guests (the nspawn provider's box: sshd,
 * sudo, the vagrant user with Vagrant's insecure key) in network namespaces
 * of their own, with Node.js and nothing of ROC, reached with `transport:
 * ssh` as the vagrant user through `sudo -n`: calls, the library, a stream,
 * a partition between two of them, SLIM remote fixtures, what is left when
 * the host process dies, and a guest without Node.js.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../src/client/index.js';
import { buildNspawnBox } from '../../src/cli/vagrant.js';
import { labIdOf } from '../../src/lab/index.js';
import { loadTopology, SshGuestError, type Topology } from '../../src/topology/index.js';
import { SlimExecutor } from '../../src/slim/index.js';
import { example, rejection, repoRoot, rootTierSkip } from '../helpers.js';
import { NspawnLab, readyForSsh, vagrantSshConfig, type NspawnGuest } from './nspawn.js';

const why = rootTierSkip('the ssh tier', 'systemd-nspawn, network namespaces, mounts', [
  'systemd-nspawn',
  'debootstrap',
  'ip',
  'ssh',
  'vagrant',
]);

let dir: string;
let file: string;
let lab: NspawnLab | undefined;
let topology: Topology;
const guests: NspawnGuest[] = [];

/** What agents started over ssh leave on a guest: their processes (node, or sudo running it) and their folders. */
function leftOn(g: NspawnGuest): { processes: number; folders: number } {
  const count = (script: string): number => Number(g.exec('sh', ['-c', script]).stdout.trim() || 0);
  return {
    processes: count("pgrep -fc '^(sudo -n )?node -e var v=' || true"),
    folders: count('ls -d /tmp/roc-ssh-agent-* 2>/dev/null | wc -l'),
  };
}

before(async () => {
  if (why) return;
  const box = buildNspawnBox();
  dir = mkdtempSync(join(tmpdir(), 'roc-ssh-e2e-'));
  vagrantSshConfig(dir, '198.18.58.*');
  file = join(dir, 'roc.yml');
  // 198.18.0.0/15 is set aside for network tests (RFC 2544): it exists only inside these namespaces.
  writeFileSync(
    file,
    [
      `defaults: { transport: ssh, timeout: 30s, modules: [${example('remote_class.js')}], ssh: { config_file: ssh_config, sudo: true } }`,
      'guests:',
      '  s1: { host: 198.18.58.11 }',
      '  s2: { host: 198.18.58.12 }',
      '  nonode: { host: 198.18.58.13 }',
      '',
    ].join('\n'),
  );
  topology = loadTopology(file);
  lab = await NspawnLab.create(labIdOf(file), [...topology.specs.values()], join(dir, 'guests'));
  for (const spec of topology.specs.values()) guests.push(lab.boot(spec.name, box, [`${repoRoot}:/vagrant`]));
  for (const g of guests) {
    await g.waitForBoot();
    await readyForSsh(g);
  }
  // Node.js on two of them, from the box's apt cache (as install-node.sh puts it on a Vagrant box); none on the third.
  for (const g of guests.slice(0, 2)) {
    const node = g.exec('sh', ['/vagrant/provisioning/install-node.sh']);
    assert.equal(node.status, 0, node.stdout + node.stderr);
  }
});

after(async () => {
  if (why) return;
  topology?.close();
  await lab?.close();
});

test(
  'guests with nothing of ROC: calls, the library and a stream over ssh, the agent run through sudo -n',
  { skip: why },
  async () => {
    const pings = await topology.guests('s1,s2').ping();
    assert.deepEqual(
      pings.succeeded,
      ['s1', 's2'],
      pings.outcomes.map((o) => (o.ok ? '' : o.error.message)).join('\n'),
    );
    const inst = await topology.guest('s1').module.RemoteClass!(1, 2, 3);
    assert.equal(await inst.add(2, 3), 5);
    assert.equal(await topology.guest('s2').lib.system.hostname(), 's2');
    assert.equal(
      (await topology.guest('s1').lib.command.run('id', ['-u'])).stdout.trim(),
      '0',
      'root, through sudo -n',
    );
    const chunks: string[] = [];
    for await (const c of await topology.guest('s2').lib.command.stream('sh', ['-c', 'echo a; echo b']))
      chunks.push(c.data);
    assert.equal(chunks.join(''), 'a\nb\n');
  },
);

test(
  'SLIM remote fixtures on an ssh guest: a FitNesse table drives a class served over ssh',
  { skip: why },
  async () => {
    const executor = new SlimExecutor({ cwd: repoRoot, topology: () => topology });
    const results = (await executor.execute([
      ['m', 'make', 'x', 's1.RemoteClass', '1', '2', '3'],
      ['c', 'call', 'x', 'echo', 'through ssh'],
      ['n', 'make', 'y', 's1.Nope'],
    ] as never)) as string[][];
    const r = Object.fromEntries(results.map((x) => [x[0], x[1]]));
    assert.equal(r.m, 'OK');
    assert.equal(r.c, 'through ssh');
    assert.match(
      r.n!,
      /^__EXCEPTION__:message:<<Could not find class s1\.Nope: guest s1 \(ssh 198\.18\.58\.11\) serves Point, RemoteClass \(NO_CLASS\)>>$/,
    );
  },
);

test(
  'a partition between two ssh guests cuts their link, and heal restores it; the host still reaches both',
  { skip: why },
  async () => {
    const before = await topology.guest('s1').lib.network.canConnect('198.18.58.12', 22, 1_000);
    assert.equal(before.ok, true);
    const cut = await topology.nemesis.partition([['s1'], ['s2']], { ttl: '1m' });
    try {
      const during = await topology.guest('s1').lib.network.canConnect('198.18.58.12', 22, 1_000);
      assert.equal(during.ok, false);
      assert.equal(await topology.guest('s2').lib.system.hostname(), 's2', 'the host still reaches s2 over ssh');
    } finally {
      await cut.heal();
    }
    assert.equal((await topology.guest('s1').lib.network.canConnect('198.18.58.12', 22, 1_000)).ok, true);
  },
);

test(
  'when the host process is killed, its agents on the guests stop and remove what they wrote',
  { skip: why },
  async () => {
    const script = join(dir, 'host.mjs');
    writeFileSync(
      script,
      `import { loadTopology } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'index.js'))};
const t = loadTopology(${JSON.stringify(file)});
await t.guest('s2').ping();
console.log('up');
setInterval(() => {}, 1000);`,
    );
    const host = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => host.stdout!.once('data', resolve));
    const s2 = guests[1]!;
    // This file's own agent on s2 runs too: two agents (each a sudo and its node), two folders.
    assert.deepEqual(leftOn(s2), { processes: 4, folders: 2 });
    host.kill('SIGKILL');
    await eventually(() => JSON.stringify(leftOn(s2)) === JSON.stringify({ processes: 2, folders: 1 }), {
      timeout: 20_000,
      message: "the killed host's agent on s2 to stop and remove its folder",
    });
  },
);

test('a guest without Node.js fails with the message', { skip: why }, async () => {
  const err = await rejection(topology.guest('nonode').ping());
  assert.ok(err instanceof SshGuestError, String(err));
  assert.match(
    err.message,
    /^guest nonode \(ssh 198\.18\.58\.13\): no node on the guest's PATH: install Node\.js 18 or later there/,
  );
});

test('closing the topology stops the agents it started and leaves nothing on the guests', { skip: why }, async () => {
  topology.close();
  for (const g of guests.slice(0, 2))
    await eventually(() => JSON.stringify(leftOn(g)) === JSON.stringify({ processes: 0, folders: 0 }), {
      timeout: 20_000,
      message: `nothing of ROC left on ${g.name}`,
    });
});
