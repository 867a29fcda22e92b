import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, labDown, labUp, readLabState } from '../lab/index.js';
import { writeTokenFile } from '../protocol/index.js';
import { findJar, runFitnesse } from './fitnesse.js';
import { UsageError } from './exit.js';
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The examples roc demo runs: each a lab topology, a FitNesse suite and a node test of the same fixtures. */
interface DemoExample {
  dir: string;
  /** Its topology (with --netns, or when it needs networks of its own: `netnsTopology`). */
  topology: string;
  netnsTopology: string;
  suite: string;
  netnsSuite: string;
  nodeTest: string;
  /** Variables its node test reads when the faults are real. */
  realFaultsEnv: Record<string, string>;
  /** It cannot run on the loopback lab: its faults need networks of their own. */
  needsNetns: boolean;
  /** A program it needs on this machine, and how to install it. */
  needs?: { program: string; install: string };
  what: string;
}

const EXAMPLES: Record<string, DemoExample> = {
  cluster: {
    dir: join(root, 'examples', 'cluster'),
    topology: 'roc.yml',
    netnsTopology: 'roc.netns.yml',
    suite: 'ClusterSuite.Checks',
    netnsSuite: 'ClusterSuite.RealFaults',
    nodeTest: join('test', 'cluster.test.js'),
    realFaultsEnv: { ROC_CLUSTER_FAULTS: 'nemesis' },
    needsNetns: false,
    what: 'a replicated key-value store on three guests',
  },
  etcd: {
    dir: join(root, 'examples', 'etcd'),
    topology: 'roc.yml',
    netnsTopology: 'roc.yml',
    suite: 'EtcdSuite',
    netnsSuite: 'EtcdSuite',
    nodeTest: join('test', 'etcd.test.js'),
    realFaultsEnv: {},
    needsNetns: true,
    needs: { program: 'etcd', install: 'apt-get install --no-install-recommends etcd-server' },
    what: "etcd (Debian's etcd-server) on three guests under real faults",
  },
};

export interface DemoFlags {
  /** Which example: cluster (default) or etcd. */
  example?: string;
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

async function viaNodeTest(
  example: DemoExample,
  topology: string,
  report: string,
  realFaults: boolean,
): Promise<boolean> {
  out(
    `▶ ${relative(root, join(example.dir, example.nodeTest))} (node --test; the same fixtures as the FitNesse pages)`,
  );
  const child = spawn(
    process.execPath,
    [
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=junit',
      `--test-reporter-destination=${report}`,
      join(example.dir, example.nodeTest),
    ],
    {
      cwd: root,
      // A test runner started under another (roc demo inside a test) would otherwise report to it, not here.
      env: {
        ...process.env,
        ROC_TOPOLOGY: topology,
        NODE_TEST_CONTEXT: undefined,
        ROC_REPORT_DIR: process.env.ROC_REPORT_DIR ?? join(report, '..'),
        ...(realFaults ? example.realFaultsEnv : {}),
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
  const name = flags.example ?? 'cluster';
  const example = EXAMPLES[name];
  if (!example)
    throw new UsageError(
      `no example ${JSON.stringify(name)}: roc demo runs ${Object.keys(EXAMPLES).join(' or ')}`,
      '--example',
    );
  const netns = flags.netns === true || example.needsNetns;
  // --netns: guests with networks of their own, so the nemesis can cut real links between them.
  const topology = join(example.dir, netns ? example.netnsTopology : example.topology);
  const token = join(example.dir, '.roc', 'token');
  const suite = flags.suite ?? (netns ? example.netnsSuite : example.suite);
  if (netns && process.getuid?.() !== 0)
    throw new UsageError(
      example.needsNetns
        ? `the ${name} example runs on a --netns lab (its faults need networks of their own), which needs root: run it with sudo`
        : '--netns needs root: it makes network namespaces and a bridge; run it with sudo, or drop --netns',
      '--netns',
    );
  if (example.needs && spawnSync(example.needs.program, ['--version']).status !== 0)
    throw new UsageError(
      `the ${name} example needs ${example.needs.program} on this machine (the lab's guests run it): ${example.needs.install}`,
      '--example',
    );
  const report = flags.report ?? join(root, 'reports', `${name}-junit.xml`);
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
    `roc demo: ${example.what} (${relative(process.cwd(), topology) || topology}), checked by ${runner === 'fitnesse' ? `FitNesse through roc slim (${suite})` : `node's test runner (${why})`}`,
  );
  let ok: boolean;
  try {
    await labUp({ topology, netns, log: (l) => out(`lab: ${l}`) });
    if (runner === 'fitnesse') {
      ({ ok } = await runFitnesse({ page: suite, dir: example.dir, topology, report, cwd: root, out }));
    } else {
      ok = await viaNodeTest(example, topology, report, netns);
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
