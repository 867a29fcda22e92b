import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, isRunning, labDown, labUp, readLabState } from '../lab/index.js';
import { writeTokenFile } from '../wire/index.js';
import { junit, tableName, tablesOf, type TableResult } from './report.js';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const example = join(root, 'examples', 'cluster');

export interface DemoFlags {
  /** The FitNesse suite to run (default ClusterSuite.Checks; ClusterSuite.FailingOnPurpose shows a failure). */
  suite?: string;
  /** fitnesse, node, or auto (FitNesse when Java is present). */
  runner?: string;
  /** Where the JUnit XML goes. */
  report?: string;
}

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** Test pages of a suite, in FitNesse's order (by name). */
function pagesOf(fitnesseRoot: string, suite: string): string[] {
  const dir = join(fitnesseRoot, ...suite.split('.'));
  const props = (d: string): string => (existsSync(join(d, 'properties.xml')) ? readFileSync(join(d, 'properties.xml'), 'utf8') : '');
  if (/<Test\/>/.test(props(dir))) return [suite];
  const pages: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (existsSync(join(sub, 'content.txt'))) {
      if (/<Test\/>/.test(props(sub))) pages.push(`${suite}.${name}`);
      else if (/<Suite\/>/.test(props(sub))) pages.push(...pagesOf(fitnesseRoot, `${suite}.${name}`));
    }
  }
  return pages;
}

async function viaFitnesse(suite: string, topology: string): Promise<TableResult[]> {
  const jar = join(root, 'node_modules', 'fitnesse', 'fitnesse-standalone.jar');
  const work = mkdtempSync(join(tmpdir(), 'roc-demo-fitnesse-'));
  cpSync(join(example, 'FitNesseRoot'), join(work, 'FitNesseRoot'), { recursive: true });
  const all: TableResult[] = [];
  try {
    for (const page of pagesOf(join(work, 'FitNesseRoot'), suite)) {
      out(`▶ ${page}`);
      const [slimPort, webPort] = [await freePort(), await freePort()];
      let xml: string;
      try {
        ({ stdout: xml } = await execFileAsync('java', ['-jar', jar, '-d', work, '-p', String(webPort), '-o', '-c', `${page}?test&format=xml`], {
          cwd: root,
          env: { ...process.env, ROC_TOPOLOGY: topology, ROC_SLIM_PORT: String(slimPort) },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 300_000,
        }));
      } catch (err) {
        // FitNesse exits non-zero when a page fails; its output is still the report.
        xml = (err as { stdout?: string }).stdout ?? '';
      }
      const tables = tablesOf(page, xml);
      for (const t of tables) {
        const ok = t.wrong + t.exceptions === 0;
        out(`    ${ok ? '✔' : '✖'} ${tableName(t).padEnd(44)} ${t.right} right, ${t.wrong} wrong, ${t.exceptions} exceptions${t.ignored ? `, ${t.ignored} ignored` : ''}`);
        for (const f of t.failures) out(`        ${f}`);
      }
      all.push(...tables);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return all;
}

async function viaNodeTest(topology: string, report: string): Promise<boolean> {
  out('▶ examples/cluster/test/cluster.test.js (node --test; the same fixtures as the FitNesse pages)');
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=junit', `--test-reporter-destination=${report}`, join(example, 'test', 'cluster.test.js')], {
    cwd: root,
    // A test runner started under another (roc demo inside a test) would otherwise report to it, not here.
    env: { ...process.env, ROC_TOPOLOGY: topology, NODE_TEST_CONTEXT: undefined },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
  const topology = join(example, 'roc.yml');
  const token = join(example, '.roc', 'token');
  const suite = flags.suite ?? 'ClusterSuite.Checks';
  const report = flags.report ?? join(root, 'reports', 'cluster-junit.xml');
  const hasJava = spawnSync('java', ['-version']).status === 0;
  const runner = flags.runner && flags.runner !== 'auto' ? flags.runner : hasJava ? 'fitnesse' : 'node';
  if (runner === 'fitnesse' && !hasJava) throw new Error('--runner fitnesse needs Java (java on the PATH)');
  mkdirSync(join(report, '..'), { recursive: true });
  if (!existsSync(token)) writeTokenFile(token);

  out(`roc demo: a replicated key-value store on three guests (${relative(process.cwd(), topology) || topology}), checked by ${runner === 'fitnesse' ? `FitNesse through roc slim (${suite})` : "node's test runner (no Java here)"}`);
  let ok = false;
  try {
    await labUp({ topology, log: (l) => out(`lab: ${l}`) });
    if (runner === 'fitnesse') {
      const tables = await viaFitnesse(suite, topology);
      const sum = (k: 'right' | 'wrong' | 'exceptions') => tables.reduce((n, t) => n + t[k], 0);
      const pages = new Set(tables.map((t) => t.page)).size;
      const failedTables = tables.filter((t) => t.wrong + t.exceptions > 0);
      ok = tables.length > 0 && failedTables.length === 0;
      writeFileSync(report, junit(suite, tables, (Date.now() - started) / 1000));
      out();
      out(`summary: ${pages} pages, ${tables.length} tables: ${sum('right')} right, ${sum('wrong')} wrong, ${sum('exceptions')} exceptions — ${ok ? 'all green' : `${failedTables.length} table(s) failed`}`);
    } else {
      ok = await viaNodeTest(topology, report);
      out();
      out(`summary: ${ok ? 'all green' : 'failures above'}`);
    }
    out(`JUnit report: ${relative(process.cwd(), report) || report}`);
  } finally {
    const state = readLabState(topology);
    await labDown({ topology, log: (l) => out(`lab: ${l}`) });
    const left = (state?.guests ?? []).filter((g) => isRunning(g.pid));
    out(left.length ? `lab: still running: ${left.map((g) => `${g.name} (pid ${g.pid})`).join(', ')}` : 'lab: down; nothing left running');
  }
  out(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return ok ? 0 : 1;
}
