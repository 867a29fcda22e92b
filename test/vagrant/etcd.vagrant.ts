/**
 * The etcd example on Vagrant guests: the project's Vagrantfile on
 * examples/etcd/roc.vagrant.yml (packages: etcd-server, faults: true), and
 * the example's FitNesse suite through roc fitnesse against them, with real
 * faults on the guests' private network.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTokenFile } from '../../src/protocol/index.js';
import { repoRoot } from '../helpers.js';
import { rocCli, VagrantEnv, vagrantTierSkip as why } from './harness.js';

const topologyFile = join(repoRoot, 'examples', 'etcd', 'roc.vagrant.yml');
let machines: VagrantEnv;
const timings: Record<string, number> = {};

before(() => {
  if (why) return;
  const token = join(repoRoot, 'examples', 'etcd', '.roc', 'token');
  if (!existsSync(token)) writeTokenFile(token);
  machines = new VagrantEnv({ topology: topologyFile });
});

after(async () => {
  if (why) return;
  timings['vagrant destroy -f (3 etcd guests)'] = (await machines.destroy()).ms;
  for (const [step, ms] of Object.entries(timings)) console.log(`# timing: ${step}: ${(ms / 1000).toFixed(1)} s`);
});

test(
  'vagrant up of the etcd topology: its packages are there, its agents answer',
  { skip: why, timeout: 900_000 },
  async () => {
    const up = await machines.vagrant(['up']);
    timings['vagrant up (3 etcd guests, parallel)'] = up.ms;
    assert.equal(up.code, 0, up.out);
    for (const name of ['n1', 'n2', 'n3']) {
      assert.match(up.out, new RegExp(`${name}: install-packages: already installed: etcd-server`));
      assert.match(up.out, new RegExp(`${name}: install-agent: roc-agent answers on 127\\.0\\.0\\.1:7407`));
    }
  },
);

test(
  'the etcd FitNesse suite runs green on the Vagrant guests, faults and histories included',
  { skip: why, timeout: 600_000 },
  async (t) => {
    const report = join(machines.dotfile, 'etcd-junit.xml');
    const suite = await machines.run(
      process.execPath,
      [rocCli, 'fitnesse', 'EtcdSuite', '-d', 'examples/etcd', '-t', topologyFile, '--report', report],
      600_000,
    );
    timings['the etcd suite (roc fitnesse)'] = suite.ms;
    for (const line of suite.out.split('\n').filter((l) => /summary|✔|✖/.test(l))) t.diagnostic(line);
    assert.equal(suite.code, 0, suite.out);
    assert.match(suite.out, /summary: 8 pages: \d+ right, 0 wrong, 0 ignored, 0 exceptions — all green/);
    assert.match(readFileSync(report, 'utf8'), /<testsuites name="EtcdSuite" tests="8" failures="0" errors="0"/);
  },
);
