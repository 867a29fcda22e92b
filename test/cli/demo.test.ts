import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labUp } from '../../src/lab/index.js';
import { example, freePort, repoRoot, startAgentProcess } from '../helpers.js';

const execFileAsync = promisify(execFile);
const roc = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');
const java = spawnSync('java', ['-version']).status === 0 ? false : 'java is not on this machine (CI installs a JRE)';
if (java) console.log(`# SKIP roc demo with FitNesse: ${java}`);

/** Processes of the cluster example still alive: its agents and key-value nodes (read from /proc, which Linux always has). */
function leftovers(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let args: string;
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // it ended while we looked
    }
    if (/kv-node\.js|examples\/cluster\/roc\.yml|127\.0\.1\.3[123]/.test(args)) found.push(`${pid} ${args}`);
  }
  return found;
}

async function demo(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [roc, 'demo', ...args], {
      cwd: repoRoot,
      timeout: 300_000,
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('the main job: npm start (roc demo)', () => {
  test(
    'runs the cluster suite green through FitNesse, prints each page as it finishes, writes JUnit, leaves nothing running',
    { skip: java },
    async (t) => {
      const report = join(mkdtempSync(join(tmpdir(), 'roc-demo-')), 'junit.xml');
      const { code, out } = await demo(['--report', report]);
      for (const line of out.split('\n').filter((l) => /summary|✔|✖/.test(l))) t.diagnostic(line);
      assert.equal(code, 0, out);
      for (const page of ['Failover', 'Recovery', 'Replication'])
        assert.match(
          out,
          new RegExp(`^✔ ClusterSuite\\.Checks\\.${page}  \\d+ right, 0 wrong, 0 ignored, 0 exceptions`, 'm'),
        );
      assert.match(out, /summary: 3 pages: \d+ right, 0 wrong, 0 ignored, 0 exceptions — all green/);
      assert.match(out, /lab: down; nothing left running/);
      const xml = readFileSync(report, 'utf8');
      assert.match(xml, /<testsuites name="ClusterSuite\.Checks" tests="3" failures="0" errors="0"/);
      assert.deepEqual(leftovers(), []);
    },
  );

  test(
    'the excluded failing page fails with a message naming the guest, the fixture, expected and actual',
    { skip: java },
    async () => {
      const report = join(mkdtempSync(join(tmpdir(), 'roc-demo-')), 'junit.xml');
      const { code, out } = await demo(['--suite', 'ClusterSuite.FailingOnPurpose', '--report', report]);
      assert.equal(code, 1);
      assert.match(
        out,
        /✖ table 3 \(script: KvCluster\)\s+\d+ right, 1 wrong, 0 exceptions\n\s+converge\(color, orange, kv3, 1\): expected \[orange\] but was \[missing\]/,
      );
      const junitXml = readFileSync(report, 'utf8');
      assert.match(
        junitXml,
        /<failure message="ClusterSuite\.FailingOnPurpose\.PartitionedReplicaIsStale: \d+ right, 1 wrong, 0 ignored, 0 exceptions; converge\(color, orange, kv3, 1\): expected \[orange\] but was \[missing\]" type="wrong">table 3 \(script: KvCluster\)/,
      );
      // The guests' logs after the failure: each agent's, and each node's (the topology's logs:), once in the failed page's case.
      assert.match(
        out,
        /the guests' logs after the failure \(in the JUnit report too\):\n\s+--- kv1: agent \(last \d+ lines?\)/,
      );
      const systemOut =
        /<testcase [^>]*name="PartitionedReplicaIsStale"[^>]*>\s*<failure [^]*?<\/failure>\s*<system-out>([^]*?)<\/system-out>/.exec(
          junitXml,
        )?.[1];
      assert.ok(systemOut, `the failed page's test case has the logs: ${junitXml}`);
      assert.equal(junitXml.match(/<system-out>/g)?.length, 1, 'the logs once per failed page');
      assert.match(
        systemOut,
        /--- kv1: agent \(last \d+ lines?\)\n(?:.*\n)*?\s+Listening on http:\/\/127\.0\.1\.31:7107\//,
      );
      assert.match(
        systemOut,
        /--- kv3: \/tmp\/roc-kv\/kv3\.log \(last \d+ lines?\)\n(?:.*\n)*?.* kv3 partitioned \(simulated\)/,
      );
      assert.match(
        systemOut,
        /--- kv1: \/tmp\/roc-kv\/kv1\.log \(last \d+ lines?\)\n(?:.*\n)*?.* kv1 write color \(seq \d+\)/,
      );
      assert.deepEqual(leftovers(), []);
    },
  );

  test(
    'roc demo --netns: the suite with real faults, the nemesis fixture in real FitNesse pages, nothing left behind',
    { skip: java || (process.getuid?.() !== 0 && 'needs root (network namespaces)') },
    async (t) => {
      const report = join(mkdtempSync(join(tmpdir(), 'roc-demo-')), 'junit.xml');
      const { code, out } = await demo(['--netns', '--report', report]);
      for (const line of out.split('\n').filter((l) => /summary|✔|✖/.test(l))) t.diagnostic(line);
      assert.equal(code, 0, out);
      assert.match(out, /lab: made bridge rb-\w+ \(198\.18\.60\.1\)/);
      assert.match(out, /^✔ ClusterSuite\.RealFaults\.Failover {2}\d+ right, 0 wrong, 0 ignored, 0 exceptions/m);
      assert.match(out, /^✔ ClusterSuite\.RealFaults\.Recovery {2}\d+ right, 0 wrong, 0 ignored, 0 exceptions/m);
      assert.match(out, /summary: 2 pages: \d+ right, 0 wrong, 0 ignored, 0 exceptions — all green/);
      assert.match(out, /lab: down; nothing left running/);
      const bridge = /lab: made bridge (rb-\w+)/.exec(out)![1]!;
      assert.ok(
        !execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(bridge),
        `${bridge} is gone`,
      );
      assert.deepEqual(leftovers(), []);
    },
  );

  test('without Java: the same fixtures through node --test', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'roc-demo-')), 'junit.xml');
    const { code, out } = await demo(['--runner', 'node', '--report', report]);
    assert.equal(code, 0, out);
    assert.match(out, /✔ Recovery: a partitioned replica catches up when healed/);
    assert.ok(existsSync(report));
    assert.match(readFileSync(report, 'utf8'), /<testsuites/);
    assert.deepEqual(leftovers(), []);
  });
});

describe('examples/quickstart', () => {
  test('the typed host script drives the agent and shuts it down', async () => {
    const agent = await startAgentProcess(['-m', example('quickstart/remote_class.js'), '-p', '0']);
    const { exited, port } = agent;
    const { stdout } = await execFileAsync(process.execPath, [
      join(repoRoot, 'dist', 'examples', 'quickstart', 'host.js'),
      '127.0.0.1',
      String(port),
    ]);
    assert.equal(stdout, 'sum(): 6\nscale(10): [ 10, 20, 30 ]\na: 1\nthe agent was asked to shut down\n');
    assert.equal(await exited, 0);
  });
});

describe('examples/streams', () => {
  test('a remote generator, a command stream, a followed log and two waits on a lab guest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-streams-'));
    const topology = join(dir, 'roc.yml');
    writeFileSync(
      topology,
      `guests:\n  app1: { host: 127.0.1.41, port: ${await freePort()}, modules: [${example('streams/numbers.js')}] }\n`,
    );
    await labUp({ topology });
    try {
      const { stdout } = await execFileAsync(process.execPath, [example('streams/host.mjs')], {
        env: { ...process.env, ROC_TOPOLOGY: topology },
        timeout: 60_000,
      });
      const lines = stdout.split('\n');
      assert.deepEqual(lines.slice(0, 7), [
        'sum of 0..99,999 from app1: 4999950000',
        'stdout: "one\\n"',
        'stderr: "two\\n"',
        'exit code 3',
        'followed: request 1',
        'followed: request 2',
        'followed: request 3',
      ]);
      assert.match(
        lines[7]!,
        /^ready after \d+ ms: log line \/listening on \\d\+\/ in \/tmp\/roc-streams\/app\.log: seen 1 time\(s\)/,
      );
      assert.match(
        lines[8]!,
        /^guest app1 \(127\.0\.1\.41:\d+\) waited 2000 ms in vain for all of 2: port 8080: [^|]+ \| log line \/healthy\/ in \/tmp\/roc-streams\/app\.log: seen 0 time\(s\); last lines: .*"listening on 8080"; process kv-node is not running$/,
      );
    } finally {
      await labDown({ topology });
    }
  });
});
