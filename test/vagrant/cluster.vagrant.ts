/**
 * The Vagrant tier: the real `vagrant` (Debian's package) runs the project's
 * own, unmodified Vagrantfile on examples/cluster/roc.vagrant.yml, with the
 * nspawn provider (provisioning/nspawn) loaded from VAGRANT_HOME.
 * Each guest is a booted Debian 12 with sshd, provisioned over ssh by
 * Vagrant's shell provisioner exactly as on VirtualBox.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTopology, StaleHandleError, type Topology } from '../../src/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { rejection, repoRoot } from '../helpers.js';
import { rocCli as roc, VagrantEnv, vagrantTierSkip as why } from './harness.js';

const topologyFile = join(repoRoot, 'examples', 'cluster', 'roc.vagrant.yml');
let machines: VagrantEnv;
let topology: Topology;
const timings: Record<string, number> = {};

const run = (cmd: string, args: string[], timeoutMs: number) => machines.run(cmd, args, timeoutMs);
const vagrant = (args: string[], timeoutMs = 600_000) => machines.vagrant(args, timeoutMs);

async function bootIds(): Promise<Record<string, string>> {
  const pinged = await topology.guests().ping({ timeout: 5_000 });
  return Object.fromEntries(Object.entries(pinged.byGuest).map(([name, info]) => [name, info.bootId]));
}

before(async () => {
  if (why) return;
  const token = join(repoRoot, 'examples', 'cluster', '.roc', 'token');
  if (!existsSync(token)) writeTokenFile(token);
  machines = new VagrantEnv({ topology: topologyFile });
  topology = loadTopology(topologyFile);
});

after(async () => {
  if (why) return;
  topology?.close();
  // Whatever a failed test left running goes too.
  timings['vagrant destroy -f (3 guests)'] = (await machines.destroy()).ms;
  for (const [step, ms] of Object.entries(timings)) console.log(`# timing: ${step}: ${(ms / 1000).toFixed(1)} s`);
});

test(
  'vagrant up (parallel) provisions every guest; roc ping shows them up',
  { skip: why, timeout: 900_000 },
  async (t) => {
    const up = await vagrant(['up']);
    timings['vagrant up (3 guests, parallel)'] = up.ms;
    assert.equal(up.code, 0, up.out);
    for (const name of ['kv1', 'kv2', 'kv3']) {
      assert.match(up.out, new RegExp(`==> ${name}: Running provisioner: node \\(shell\\)`));
      assert.match(up.out, new RegExp(`${name}: install-node: installed /usr/bin/node \\(v18\\.`));
      assert.match(
        up.out,
        new RegExp(
          `${name}: install-agent: roc-agent enabled and \\(re\\)started: -p 7107 --host 0\\.0\\.0\\.0 -m /opt/roc/modules/kv_control/kv_control\\.js --token-file /etc/roc/token \\(as root\\)`,
        ),
      );
      // Provisioning ended only once the agent answered: the ping below needs no retry.
      assert.match(up.out, new RegExp(`${name}: install-agent: roc-agent answers on 127\\.0\\.0\\.1:7107`));
    }
    const ping = await run(process.execPath, [roc, 'ping'], 60_000);
    t.diagnostic(ping.out.trimEnd());
    assert.equal(ping.code, 0, ping.out);
    assert.equal(
      ping.out.split('\n').filter((l) => /^kv\d\s+192\.168\.56\.3\d:7107\s+up\s/.test(l)).length,
      3,
      ping.out,
    );
  },
);

test(
  'vagrant ssh reaches a guest, which has its own host name and addresses',
  { skip: why, timeout: 120_000 },
  async () => {
    const ssh = await vagrant(
      ['ssh', 'kv3', '-c', 'hostname; ip -o -4 addr show dev eth1; systemctl is-active roc-agent'],
      120_000,
    );
    assert.equal(ssh.code, 0, ssh.out);
    assert.match(ssh.out, /^kv3$/m);
    assert.match(ssh.out, /eth1\s+inet 192\.168\.56\.33\/24/);
    assert.match(ssh.out, /^active$/m);
  },
);

test(
  'transport: vagrant reaches a machine through vagrant ssh-config, starting an agent of its own there over ssh',
  { skip: why, timeout: 180_000 },
  async () => {
    mkdirSync(join(repoRoot, '.roc'), { recursive: true });
    const file = join(repoRoot, '.roc', 'vagrant-transport.yml');
    writeFileSync(
      file,
      'guests:\n  kv3: { host: 192.168.56.33, transport: vagrant, modules: [../examples/cluster/guest/kv_control.js] }\n',
    );
    const script = join(machines.dotfile, 'over-vagrant.mjs');
    writeFileSync(
      script,
      `import { loadTopology } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'index.js'))};
const t = loadTopology(${JSON.stringify(file)});
const g = t.guest('kv3');
console.log(g.endpoint, await g.lib.system.hostname(), (await g.ping()).modules.map((m) => m.split('/').pop()).join(','));`,
    );
    const r = await run(process.execPath, [script], 120_000);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out.trim(), 'vagrant:kv3 kv3 kv_control.js');
  },
);

/** Runs a suite of the cluster example with roc fitnesse against the guests, times it, checks it all green, and gives its JUnit report's path. */
async function fitnesseSuite(
  t: TestContext,
  page: string,
  reportName: string,
  timing: string,
  pages: number,
): Promise<string> {
  const report = join(machines.dotfile, reportName);
  const suite = await run(
    process.execPath,
    [roc, 'fitnesse', page, '-d', 'examples/cluster', '-t', topologyFile, '--report', report],
    600_000,
  );
  timings[timing] = suite.ms;
  for (const line of suite.out.split('\n').filter((l) => /summary|✔|✖/.test(l))) t.diagnostic(line);
  assert.equal(suite.code, 0, suite.out);
  assert.match(
    suite.out,
    new RegExp(`summary: ${pages} pages: \\d+ right, 0 wrong, 0 ignored, 0 exceptions — all green`),
  );
  return report;
}

test(
  'the cluster FitNesse suite runs green against the guests (roc fitnesse)',
  { skip: why, timeout: 600_000 },
  async (t) => {
    const report = await fitnesseSuite(t, 'ClusterSuite.Checks', 'junit.xml', 'the cluster suite (roc fitnesse)', 3);
    assert.match(
      readFileSync(report, 'utf8'),
      /<testsuites name="ClusterSuite\.Checks" tests="3" failures="0" errors="0"/,
    );
  },
);

test(
  'the cluster suite with real faults runs green: the nemesis cuts the private network between Vagrant guests',
  { skip: why, timeout: 600_000 },
  async (t) => {
    await fitnesseSuite(t, 'ClusterSuite.RealFaults', 'junit-faults.xml', 'the real-faults suite (roc fitnesse)', 2);
    // Nothing outlives the suite: its TearDown healed every fault.
    const status = await topology.nemesis.status();
    assert.deepEqual(status, { kv1: [], kv2: [], kv3: [] });
  },
);

test('vagrant provision again changes nothing and restarts no agent', { skip: why, timeout: 600_000 }, async () => {
  const before = await bootIds();
  const again = await vagrant(['provision']);
  timings['vagrant provision again (3 guests)'] = again.ms;
  assert.equal(again.code, 0, again.out);
  for (const name of ['kv1', 'kv2', 'kv3']) {
    assert.match(again.out, new RegExp(`${name}: install-node: keeping /usr/bin/node \\(v18\\.`));
    assert.match(again.out, new RegExp(`${name}: install-agent: no change; roc-agent is active`));
  }
  assert.doesNotMatch(again.out, /install-agent: wrote/);
  assert.deepEqual(await bootIds(), before);
});

test(
  'vagrant reload of one guest and a reboot from inside another: both agents answer again; older objects are stale',
  { skip: why, timeout: 600_000 },
  async () => {
    const before = await bootIds();
    const made = await topology.guests('kv1,kv2').module.KvNode!('probe', '127.0.0.1', 1);
    const [onKv1, onKv2] = made.values as [
      Record<string, () => Promise<unknown>>,
      Record<string, () => Promise<unknown>>,
    ];
    assert.equal(await onKv1.url!(), 'http://127.0.0.1:1');

    const reload = await vagrant(['reload', 'kv1']);
    assert.equal(reload.code, 0, reload.out);
    // The reboot drops the ssh connection, so its exit code says nothing; the new boot id does.
    await vagrant(['ssh', 'kv2', '-c', 'sudo systemctl reboot'], 120_000);

    const ready = await topology.guests('kv1,kv2').waitUntilReady({ timeout: 120_000, interval: 200 });
    assert.ok(ready.ok, String(ready.failed));
    const after = await bootIds();
    assert.notEqual(after.kv1, before.kv1);
    assert.notEqual(after.kv2, before.kv2);
    assert.equal(after.kv3, before.kv3);
    for (const stale of [onKv1, onKv2]) assert.ok((await rejection(stale.url!())) instanceof StaleHandleError);
  },
);
