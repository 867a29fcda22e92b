/**
 * The Vagrant tier: the real `vagrant` (Debian's package) runs the project's
 * own, unmodified Vagrantfile on examples/cluster/roc.vagrant.yml, with the
 * test-only nspawn provider (test/vagrant/nspawn) loaded from VAGRANT_HOME.
 * Each guest is a booted Debian 12 with sshd, provisioned over ssh by
 * Vagrant's shell provisioner exactly as on VirtualBox.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTopology, StaleHandleError, type Topology } from '../../src/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { rejection, repoRoot, rootTierSkip } from '../helpers.js';

const why = rootTierSkip('the Vagrant tier', 'systemd-nspawn, network namespaces, mounts', [
  'vagrant',
  'systemd-nspawn',
  'debootstrap',
  'java',
  'rsync',
  'ssh',
]);

const topologyFile = join(repoRoot, 'examples', 'cluster', 'roc.vagrant.yml');
const roc = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');
const plugin = join(repoRoot, 'test', 'vagrant', 'nspawn');
let home: string;
let dotfile: string;
let env: NodeJS.ProcessEnv;
let topology: Topology;
const timings: Record<string, number> = {};

/** Vagrant's insecure public key, from the installed gem. */
function insecureKey(): string {
  const gemDir = spawnSync('ruby', ['-e', 'puts Gem::Specification.find_by_name("vagrant").gem_dir'], {
    encoding: 'utf8',
  }).stdout.trim();
  for (const candidate of [
    join(gemDir, 'keys', 'vagrant.pub'),
    '/opt/vagrant/embedded/gems/gems/vagrant/keys/vagrant.pub',
  ])
    if (gemDir && existsSync(candidate)) return candidate;
  throw new Error(`cannot find Vagrant's insecure key (looked in ${gemDir || 'no vagrant gem'}/keys)`);
}

/** Runs a command to its end, with its output streamed to the test's log and returned. */
function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (d: Buffer): void => {
      out += d;
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

const vagrant = (args: string[], timeoutMs = 600_000) => run('vagrant', args, timeoutMs);

async function bootIds(): Promise<Record<string, string>> {
  const pinged = await topology.guests().ping({ timeout: 5_000 });
  return Object.fromEntries(Object.entries(pinged.byGuest).map(([name, info]) => [name, info.bootId]));
}

/** What this tier leaves on the host: namespaces, links, mounts and nspawn processes of its machines. */
function leftovers(): string[] {
  const found: string[] = [];
  for (const line of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n'))
    if (line.startsWith('rocvg-')) found.push(`netns ${line}`);
  for (const line of execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && /^(vg[0-9a-f]{6}|rvg)/.test(name)) found.push(`link ${name}`);
  }
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n'))
    if (line.includes(dotfile)) found.push(`mount ${line.split(' ')[1]}`);
  const procs = spawnSync('pgrep', ['-af', `systemd-nspawn.*${dotfile}`], { encoding: 'utf8' });
  assert.notEqual(procs.status, null, 'pgrep must run');
  found.push(
    ...procs.stdout
      .split('\n')
      .filter(Boolean)
      .map((p) => `process ${p}`),
  );
  return found;
}

before(async () => {
  if (why) return;
  const box = execFileSync('sh', [join(repoRoot, 'test', 'vagrant', 'box.sh'), insecureKey()], {
    encoding: 'utf8',
    timeout: 1_500_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  home = mkdtempSync(join(tmpdir(), 'roc-vagrant-home-'));
  dotfile = mkdtempSync(join(tmpdir(), 'roc-vagrant-dot-'));
  copyFileSync(join(repoRoot, 'test', 'vagrant', 'Vagrantfile.home'), join(home, 'Vagrantfile'));
  const token = join(repoRoot, 'examples', 'cluster', '.roc', 'token');
  if (!existsSync(token)) writeTokenFile(token);
  env = {
    ...process.env,
    VAGRANT_HOME: home,
    VAGRANT_DOTFILE_PATH: dotfile,
    VAGRANT_DEFAULT_PROVIDER: 'nspawn',
    VAGRANT_CHECKPOINT_DISABLE: '1',
    ROC_NSPAWN_PLUGIN_DIR: plugin,
    ROC_NSPAWN_BOX: box,
    ROC_TOPOLOGY: topologyFile,
  };
  // Any value, even an empty one, turns parallel up off.
  delete env.VAGRANT_NO_PARALLEL;
  topology = loadTopology(topologyFile);
});

after(async () => {
  if (why) return;
  topology?.close();
  // Whatever a failed test left running goes too.
  const destroyed = await vagrant(['destroy', '-f'], 300_000);
  timings['vagrant destroy -f (3 guests)'] = destroyed.ms;
  assert.equal(destroyed.code, 0, destroyed.out);
  assert.deepEqual(leftovers(), []);
  for (const [step, ms] of Object.entries(timings)) console.log(`# timing: ${step}: ${(ms / 1000).toFixed(1)} s`);
  rmSync(home, { recursive: true, force: true });
  rmSync(dotfile, { recursive: true, force: true });
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

/** Runs a suite of the cluster example with roc fitnesse against the guests, times it, checks it all green, and gives its JUnit report's path. */
async function fitnesseSuite(
  t: TestContext,
  page: string,
  reportName: string,
  timing: string,
  pages: number,
): Promise<string> {
  const report = join(dotfile, reportName);
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
