import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeName, labIdOf, netnsName } from '../../src/lab/index.js';
import {
  eventually,
  guestLogs,
  loadTopology,
  NemesisError,
  remoteInfo,
  StaleHandleError,
  type Topology,
} from '../../src/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { rejection, repoRoot, rootTierSkip } from '../helpers.js';
import { NspawnLab, type NspawnGuest } from './nspawn.js';

const why = rootTierSkip('end-to-end guests', 'systemd-nspawn, network namespaces, mounts', [
  'systemd-nspawn',
  'debootstrap',
  'nsenter',
  'ip',
]);

const PORT = 7007;
// install-agent.sh's arguments for g1, the same each time it is provisioned.
const INSTALL_ARGS = [
  '--bundle',
  '/vagrant/dist/agent/roc-agent.js',
  '--port',
  String(PORT),
  '--token-file',
  '/roc-token/token',
  '--module',
  '/vagrant/examples/remote_class.js',
];
// roc-agent install's arguments for g2: the bundle's own installer, with the unprivileged service user.
const G2_INSTALL = [
  '/vagrant/dist/agent/roc-agent.js',
  'install',
  '--port',
  String(PORT),
  '--token-file',
  '/roc-token/token',
  '-m',
  '/vagrant/examples/remote_class.js',
  '--user',
  'roc',
];
/** A guest outside the topology, with no network at all, for install-node.sh's fallbacks. */
let bare: NspawnGuest;
let dir: string;
let file: string;
let labId: string;
let lab: NspawnLab | undefined;
let topology: Topology;
const guests: NspawnGuest[] = [];

before(async () => {
  if (why) return;
  const rootfs = execFileSync('sh', [join(repoRoot, 'provisioning', 'nspawn', 'rootfs.sh')], {
    encoding: 'utf8',
    timeout: 1_500_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  dir = mkdtempSync(join(tmpdir(), 'roc-e2e-'));
  writeTokenFile(join(dir, 'token', 'token'));
  file = join(dir, 'roc.yml');
  // 198.18.0.0/15 is set aside for network tests (RFC 2544): it exists only inside these namespaces.
  writeFileSync(
    file,
    [
      `defaults: { port: ${PORT}, token_file: token/token, timeout: 10s }`,
      'guests:',
      '  g1: { host: 198.18.57.11, roles: [e2e] }',
      '  g2: { host: 198.18.57.12, roles: [e2e] }',
      '',
    ].join('\n'),
  );
  topology = loadTopology(file);
  labId = labIdOf(file);
  lab = await NspawnLab.create(labId, [...topology.specs.values()], join(dir, 'guests'));
  for (const spec of topology.specs.values())
    guests.push(lab.boot(spec.name, rootfs, [`${repoRoot}:/vagrant`, `${join(dir, 'token')}:/roc-token`]));
  // A Node.js tarball for the bare guest, made from this machine's own node.
  const nodeDir = join(dir, 'node', `node-${process.version}-linux-x64`);
  mkdirSync(join(nodeDir, 'bin'), { recursive: true });
  copyFileSync(process.execPath, join(nodeDir, 'bin', 'node'));
  execFileSync('tar', ['-czf', `${nodeDir}.tar.gz`, '-C', join(dir, 'node'), `node-${process.version}-linux-x64`]);
  rmSync(nodeDir, { recursive: true });
  const bareNs = netnsName(labId, 'bare');
  execFileSync('ip', ['netns', 'add', bareNs]);
  bare = lab.boot('bare', rootfs, [`${repoRoot}:/vagrant`, `${join(dir, 'node')}:/roc-node`], bareNs);
  for (const g of [...guests, bare]) await g.waitForBoot();
  // Provisioned by the project's own scripts, as Vagrant would: g1 through
  // install-agent.sh as root; g2 through `roc-agent install --user roc`, the
  // bundle's own installer, with the unprivileged service user.
  for (const g of guests) {
    const node = g.exec('sh', ['/vagrant/provisioning/install-node.sh']);
    assert.equal(node.status, 0, node.stderr);
    assert.match(node.stdout, /install-node: keeping \/usr\/bin\/node \(v18\./);
  }
  // As Vagrant's shell provisioner runs it: the script uploaded alone to /tmp, without the unit files beside it.
  const g1 = guests[0]!.exec('sh', [
    '-c',
    'cp /vagrant/provisioning/install-agent.sh /tmp/vagrant-shell.sh && exec sh /tmp/vagrant-shell.sh "$@"',
    'sh',
    ...INSTALL_ARGS,
  ]);
  assert.equal(g1.status, 0, g1.stdout + g1.stderr);
  // Provisioning ends once the agent answers, not when its unit was started.
  assert.match(g1.stdout, /install-agent: roc-agent answers on 127\.0\.0\.1:7007/);
  const g2 = guests[1]!.exec('node', G2_INSTALL);
  assert.equal(g2.status, 0, g2.stdout + g2.stderr);
  assert.match(g2.stdout, /install-agent: roc-agent enabled and \(re\)started: .* \(as roc\)/);
  assert.match(g2.stdout, /install-agent: roc-agent answers on 127\.0\.0\.1:7007/);
  const ready = await topology.guests().waitUntilReady({ timeout: 30_000, interval: 100 });
  assert.ok(ready.ok, String(ready.failed));
});

after(async () => {
  if (why) return;
  topology?.close();
  await lab?.close();
  // Nothing may be left: no namespace, link, mount or nspawn process of this run.
  assert.doesNotMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), new RegExp(`roc-${labId}-`));
  assert.doesNotMatch(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }), new RegExp(bridgeName(labId)));
  assert.doesNotMatch(readFileSync('/proc/mounts', 'utf8'), new RegExp(dir));
  for (const g of [...guests, bare]) assert.equal(g.running, false);
  assert.equal(spawnSync('pgrep', ['-f', `systemd-nspawn.*${dir}`]).status, 1, 'no nspawn process left');
});

test('systemd guests provisioned by our scripts serve through the topology', { skip: why }, async (t) => {
  const pings = await topology.guests().ping();
  assert.deepEqual(pings.succeeded, ['g1', 'g2'], String(pings.failed));
  const inst = await topology.guest('g1').module.RemoteClass!(1, 2, 3);
  assert.equal(await inst.add(2, 3), 5);
  assert.equal(await topology.guest('g2').lib.system.hostname(), 'g2');
  // The library against a real systemd.
  const { services } = topology.guest('g1').lib;
  assert.equal(await services.isActive('roc-agent'), true);
  assert.equal(await services.isEnabled('roc-agent'), true);
  assert.equal((await services.status('roc-agent')).sub, 'running');
  assert.ok((await services.journal('roc-agent', 20)).some((l) => /Listening on http:\/\/0\.0\.0\.0:7007\//.test(l)));
  const reach = await topology.guest('g1').lib.network.canConnect('198.18.57.12', PORT);
  assert.equal(reach.ok, true);
  // The agent's own output for a failed test's report: its unit's journal, found from its cgroup.
  const logs = await guestLogs({ topology, guests: 'g1,g2', lines: 10 });
  const g1Log = logs.find((l) => l.guest === 'g1' && l.source === 'agent')!;
  assert.equal(g1Log.error, undefined);
  assert.ok(
    g1Log.lines.some((l) => /Listening on http:\/\/0\.0\.0\.0:7007\//.test(l)),
    g1Log.lines.join('\n'),
  );
  // g2's agent runs as the service user, which may not read the system journal: it says so, and how to allow it.
  const g2Log = logs.find((l) => l.guest === 'g2' && l.source === 'agent')!;
  t.diagnostic(`g2 (service user roc) agent log: ${g2Log.error ?? `${g2Log.lines.length} lines`}`);
  if (g2Log.error) assert.match(g2Log.error, /may not read the system journal; add it to the systemd-journal group/);
  else
    assert.ok(
      g2Log.lines.some((l) => /Listening on/.test(l)),
      g2Log.lines.join('\n'),
    );
});

test("roc-agent status on a guest; the service user runs g2's agent", { skip: why }, async () => {
  const status = guests[1]!.exec('node', ['/vagrant/dist/agent/roc-agent.js', 'status']);
  assert.equal(status.status, 0, status.stdout + status.stderr);
  assert.match(
    status.stdout,
    /^roc-agent\.service: active, enabled\nsettings \(\/etc\/roc\/agent\.env\): ROC_AGENT_ARGS=-p 7007 --host 0\.0\.0\.0 -m \/opt\/roc\/modules\/remote_class\/remote_class\.js --token-file \/etc\/roc\/token\n/,
  );
  const user = guests[1]!.exec('systemctl', ['show', 'roc-agent', '--property=User', '--value']);
  assert.equal(user.stdout.trim(), 'roc');
  const facts = await topology.guest('g2').lib.command.run('id', ['-un']);
  assert.equal(facts.stdout, 'roc\n');
});

test('install-agent.sh run again changes nothing', { skip: why }, () => {
  const g = guests[0]!;
  const before = g.exec('systemctl', ['show', 'roc-agent', '--property=MainPID']).stdout.trim();
  const again = g.exec('sh', ['/vagrant/provisioning/install-agent.sh', ...INSTALL_ARGS]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(
    again.stdout.trim(),
    'install-agent: no change; roc-agent is active\ninstall-agent: roc-agent answers on 127.0.0.1:7007',
  );
  assert.equal(g.exec('systemctl', ['show', 'roc-agent', '--property=MainPID']).stdout.trim(), before);
});

test('the agent killed: systemd restarts it, old handles are stale', { skip: why }, async () => {
  const g1 = topology.guest('g1');
  const inst = await g1.module.RemoteClass!(1, 2, 3);
  const bootBefore = (await g1.ping()).bootId;
  // As a crash would: SIGKILL to the agent's process.
  const kill = guests[0]!.exec('sh', ['-c', 'kill -9 "$(systemctl show --property=MainPID --value roc-agent)"']);
  assert.equal(kill.status, 0, kill.stderr);
  const info = await eventually(
    async () => {
      const i = await g1.ping({ timeout: 1_000 });
      return i.bootId !== bootBefore ? i : false;
    },
    { timeout: 30_000, interval: 200, message: 'the agent back on g1' },
  );
  assert.notEqual(info.bootId, bootBefore);
  const err = await rejection(inst.add(1, 1));
  assert.ok(err instanceof StaleHandleError, String(err));
  assert.equal(await (await g1.module.RemoteClass!(1, 2, 3)).add(1, 1), 2);
});

test(
  "the nemesis on systemd guests: refused without --faults, then a real partition, a pause by unit, and a killed agent's rules undone at its restart",
  { skip: why },
  async () => {
    // A listener on each guest, outside the agent: what the partition cuts.
    for (const g of guests) {
      const r = g.exec('systemd-run', [
        '--unit',
        'e2e-listener',
        '--property=Restart=no',
        'node',
        '-e',
        "require('net').createServer((s) => s.end()).listen(9100)",
      ]);
      assert.equal(r.status, 0, r.stderr);
    }
    const connects = async (from: 'g1' | 'g2', to: 'g1' | 'g2'): Promise<boolean> =>
      (await topology.guest(from).lib.network.canConnect(topology.specs.get(to)!.host, 9100, 500)).ok;
    await eventually(async () => (await connects('g1', 'g2')) && (await connects('g2', 'g1')), {
      timeout: 10_000,
      message: 'the listeners up',
    });

    // g2's agent runs as the service user roc, installed without --faults: it refuses, and g1's part is undone.
    const refused = await rejection(topology.nemesis.partition([['g1'], ['g2']]));
    assert.ok(refused instanceof NemesisError, String(refused));
    assert.equal(refused.guest, 'g2', refused.message);
    assert.equal(refused.refusals[0]!.reason, 'permission');
    assert.match(refused.message, /network faults need CAP_NET_ADMIN; .* install-agent\.sh --user roc --faults/);
    assert.deepEqual(refused.rolledBack, ['g1']);
    assert.notEqual(
      guests[0]!.exec('nft', ['list', 'table', 'inet', `roc_nemesis_${PORT}`]).status,
      0,
      'no rule left on g1',
    );

    // Installed again with --faults, it may.
    const again = guests[1]!.exec('node', [...G2_INSTALL, '--faults']);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    await topology.guest('g2').waitUntilReady({ timeout: 30_000, interval: 100 });
    {
      await using cut = await topology.nemesis.partition([['g1'], ['g2']], { ttl: '2m' });
      assert.deepEqual([await connects('g1', 'g2'), await connects('g2', 'g1')], [false, false]);
      assert.equal((await topology.guests().ping()).ok, true, 'the host still reaches both agents');
      assert.equal(cut.parts.length, 2);
    }
    assert.deepEqual([await connects('g1', 'g2'), await connects('g2', 'g1')], [true, true]);

    // A pause by systemd unit stops the unit's process; healing resumes it.
    const main = guests[1]!.exec('systemctl', ['show', '--property=MainPID', '--value', 'e2e-listener']).stdout.trim();
    const state = (): string => guests[1]!.exec('sh', ['-c', `cut -d' ' -f3 /proc/${main}/stat`]).stdout.trim();
    const paused = await topology.nemesis.pause('g2', { unit: 'e2e-listener' });
    assert.deepEqual(paused.parts[0]!.info.pids.map(String), [main]);
    await eventually(() => state() === 'T', { timeout: 5_000, interval: 20, message: 'the listener stopped' });
    await paused.heal();
    await eventually(() => state() !== 'T', { timeout: 5_000, interval: 20, message: 'the listener resumed' });

    // An agent killed with a fault live: systemd restarts it, and its start undoes the fault.
    await topology.nemesis.isolate('g1', { ttl: '10m' });
    assert.equal(guests[0]!.exec('nft', ['list', 'table', 'inet', `roc_nemesis_${PORT}`]).status, 0);
    const bootBefore = (await topology.guest('g1').ping()).bootId;
    guests[0]!.exec('sh', ['-c', 'kill -9 "$(systemctl show --property=MainPID --value roc-agent)"']);
    await eventually(async () => (await topology.guest('g1').ping({ timeout: 1_000 })).bootId !== bootBefore, {
      timeout: 30_000,
      interval: 200,
      message: 'the agent back on g1',
    });
    assert.notEqual(
      guests[0]!.exec('nft', ['list', 'table', 'inet', `roc_nemesis_${PORT}`]).status,
      0,
      'its restart removed it',
    );
    await topology.nemesis.heal();
    assert.deepEqual([await connects('g1', 'g2'), await connects('g2', 'g1')], [true, true]);
    for (const g of guests) g.exec('systemctl', ['stop', 'e2e-listener']);
  },
);

test('the guest rebooted: the agent comes back with it', { skip: why }, async () => {
  const g2 = topology.guest('g2');
  const inst = await g2.module.RemoteClass!(4, 5, 6);
  const { handle } = remoteInfo(inst);
  const before = guests[1]!.boots;
  guests[1]!.exec('systemctl', ['reboot']);
  await eventually(() => guests[1]!.boots > before, { timeout: 30_000, message: 'g2 booting again' });
  await g2.waitUntilReady({ timeout: 90_000, interval: 250 });
  const err = await rejection(inst.add(1, 1));
  assert.ok(err instanceof StaleHandleError, `${handle}: ${String(err)}`);
  assert.equal(await g2.lib.services.isActive('roc-agent'), true);
});

test(
  'install-node.sh on an offline guest whose apt lists offer nodejs: the install fails, the tarball is used; run again, it keeps it',
  { skip: why },
  () => {
    const purge = bare.exec('sh', [
      '-c',
      'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq nodejs libnode108 >/dev/null && apt-get clean && ! command -v node',
    ]);
    assert.equal(purge.status, 0, purge.stdout + purge.stderr);
    const run = () =>
      bare.exec('sh', [
        '-c',
        'cp /vagrant/provisioning/install-node.sh /tmp/vagrant-shell.sh && ROC_NODE_TARBALL_DIRS=/roc-node sh /tmp/vagrant-shell.sh',
      ]);
    const first = run();
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(
      first.stdout,
      /^install-node: installing the distribution's nodejs 18\.[^\n]*\ninstall-node: the distribution's nodejs 18\.[^ ]* could not be installed \(offline, or its packages cannot be fetched\); looking for a tarball\n/,
    );
    assert.match(
      first.stdout,
      new RegExp(
        `install-node: unpacking /roc-node/node-${process.version}-linux-x64\\.tar\\.gz into /usr/local\ninstall-node: installed /usr/local/bin/node ${process.version}\n$`,
      ),
    );
    const again = run();
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, `install-node: keeping /usr/local/bin/node (${process.version})\n`);
  },
);

test('names the namespaces it made', { skip: why }, () => {
  assert.ok(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(netnsName(labId, 'g1')));
});
