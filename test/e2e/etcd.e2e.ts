/**
 * The etcd example on a --netns lab: Debian's etcd-server on three guests
 * under real faults, through both of its runners: its FitNesse suite
 * (roc demo --example etcd) and its node test with etcd's --pre-vote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from '../../src/index.js';
import { repoRoot, rootTierSkip } from '../helpers.js';

const why = rootTierSkip('the etcd example', 'network namespaces', ['ip', 'nft', 'etcd', 'java']);
const roc = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');
const topology = join(repoRoot, 'examples', 'etcd', 'roc.yml');

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** Every etcd process on this machine, as `pid: command line`. */
function etcdProcesses(): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (/^etcd /.test(cmd)) out.push(`${name}: ${cmd}`);
    } catch {
      // gone while we looked
    }
  }
  return out;
}

test(
  'roc demo --example etcd: the FitNesse suite green on a --netns lab, and nothing left running',
  { skip: why, timeout: 300_000 },
  async (t) => {
    const reports = mkdtempSync(join(tmpdir(), 'roc-etcd-demo-'));
    const r = await run([roc, 'demo', '--example', 'etcd', '--report', join(reports, 'junit.xml')]);
    for (const line of r.out.split('\n').filter((l) => /✔|✖|summary|run report/.test(l))) t.diagnostic(line);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /summary: 8 pages: \d+ right, 0 wrong, 0 ignored, 0 exceptions — all green/);
    assert.match(r.out, /lab: down; nothing left running/);
    assert.match(
      readFileSync(join(reports, 'junit.xml'), 'utf8'),
      /<testsuites name="EtcdSuite" tests="8" failures="0" errors="0"/,
    );
    assert.deepEqual(etcdProcesses(), [], 'every member stopped with its agent');
  },
);

test("the node test with etcd's --pre-vote, through the lab API", { skip: why, timeout: 300_000 }, async (t) => {
  const reports = mkdtempSync(join(tmpdir(), 'roc-etcd-node-'));
  {
    await using up = await lab.up(topology, { netns: true });
    const r = await run(
      ['--test', '--test-reporter=spec', join(repoRoot, 'examples', 'etcd', 'test', 'etcd.test.js')],
      {
        ROC_TOPOLOGY: up.file,
        ROC_ETCD_PRE_VOTE: 'true',
        ROC_REPORT_DIR: reports,
      },
    );
    for (const line of r.out.split('\n').filter((l) => /✔|✖|timing:|history:/.test(l))) t.diagnostic(line);
    assert.equal(r.code, 0, r.out);
    assert.match(
      r.out,
      /history: \d+ register operations checked in \d+ ms: true; set: \d+ adds acknowledged, \d+ unknown, \d+ reads, 0 lost/,
    );
    assert.match(r.out, /timing: election after isolating the leader \(--pre-vote\): \d+ ms/);
    assert.match(readFileSync(join(reports, 'etcd-report.html'), 'utf8'), /partition n\d \| n\d, n\d/);
  }
  assert.deepEqual(etcdProcesses(), []);
});
