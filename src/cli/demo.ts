import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, labDown, labUp, readLabState } from '../lab/index.js';
import { writeTokenFile } from '../protocol/index.js';
import { findJar, runFitnesse } from './fitnesse.js';
import { UsageError } from './exit.js';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const example = join(root, 'examples', 'cluster');

export interface DemoFlags {
  /** The FitNesse suite to run (default ClusterSuite.Checks; ClusterSuite.FailingOnPurpose shows a failure). */
  suite?: string;
  /** fitnesse, node, or auto (FitNesse when Java is present). */
  runner?: string;
  /** Where the JUnit XML goes. */
  report?: string;
  /** Each guest in a network namespace of its own (root), and the suite with real faults. */
  netns?: boolean;
}

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

async function viaNodeTest(topology: string, report: string, realFaults: boolean): Promise<boolean> {
  out('▶ examples/cluster/test/cluster.test.js (node --test; the same fixtures as the FitNesse pages)');
  const child = spawn(
    process.execPath,
    [
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=junit',
      `--test-reporter-destination=${report}`,
      join(example, 'test', 'cluster.test.js'),
    ],
    {
      cwd: root,
      // A test runner started under another (roc demo inside a test) would otherwise report to it, not here.
      env: {
        ...process.env,
        ROC_TOPOLOGY: topology,
        NODE_TEST_CONTEXT: undefined,
        ...(realFaults ? { ROC_CLUSTER_FAULTS: 'nemesis' } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return (await new Promise((r) => child.once('exit', r))) === 0;
}

/**
 * The main job: the cluster example on a local lab (no root, no VMs),
 * checked by its FitNesse suite through roc slim (or, without Java, by the
 * same fixtures from node's test runner), with a per-table summary, a
 * JUnit report, and nothing left running afterwards.
 */
export async function runDemo(flags: DemoFlags = {}): Promise<number> {
  const started = Date.now();
  // --netns: guests with networks of their own, so the nemesis can cut real links between them.
  const topology = join(example, flags.netns ? 'roc.netns.yml' : 'roc.yml');
  const token = join(example, '.roc', 'token');
  const suite = flags.suite ?? (flags.netns ? 'ClusterSuite.RealFaults' : 'ClusterSuite.Checks');
  if (flags.netns && process.getuid?.() !== 0)
    throw new UsageError(
      '--netns needs root: it makes network namespaces and a bridge; run it with sudo, or drop --netns',
      '--netns',
    );
  const report = flags.report ?? join(root, 'reports', 'cluster-junit.xml');
  const hasJava = spawnSync('java', ['-version']).status === 0;
  let jar: string | undefined;
  try {
    jar = findJar(root);
  } catch {
    jar = undefined; // an installed roc-toolkit has no FitNesse of its own (it is a development dependency)
  }
  const runner = flags.runner && flags.runner !== 'auto' ? flags.runner : hasJava && jar ? 'fitnesse' : 'node';
  if (runner === 'fitnesse' && !hasJava)
    throw new UsageError('--runner fitnesse needs Java (java on the PATH), or use --runner node', '--runner');
  if (runner === 'fitnesse' && !jar)
    throw new UsageError('--runner fitnesse needs FitNesse: npm install --save-dev fitnesse', '--runner');
  const why = hasJava ? (jar ? '--runner node' : 'no FitNesse jar here') : 'no Java here';
  mkdirSync(join(report, '..'), { recursive: true });
  if (!existsSync(token)) writeTokenFile(token);

  out(
    `roc demo: a replicated key-value store on three guests (${relative(process.cwd(), topology) || topology}), checked by ${runner === 'fitnesse' ? `FitNesse through roc slim (${suite})` : `node's test runner (${why})`}`,
  );
  let ok: boolean;
  try {
    await labUp({ topology, netns: flags.netns, log: (l) => out(`lab: ${l}`) });
    if (runner === 'fitnesse') {
      ({ ok } = await runFitnesse({ page: suite, dir: example, topology, report, cwd: root, out }));
    } else {
      ok = await viaNodeTest(topology, report, flags.netns === true);
      out();
      out(`summary: ${ok ? 'all green' : 'failures above'}`);
      out(`JUnit report: ${relative(process.cwd(), report) || report}`);
    }
  } finally {
    const state = readLabState(topology);
    await labDown({ topology, log: (l) => out(`lab: ${l}`) });
    const left = (state?.guests ?? []).filter((g) => isRunning(g.pid));
    out(
      left.length
        ? `lab: still running: ${left.map((g) => `${g.name} (pid ${g.pid})`).join(', ')}`
        : 'lab: down; nothing left running',
    );
  }
  out(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return ok ? 0 : 1;
}
