import { execFile, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../lab/index.js';
import { findTopologyFile, formatLogs, guestLogs } from '../topology/index.js';
import { junit, pageCounts, pageText, plural, tableName, tablesOf, type TableResult } from './report.js';
import { named, RocError } from '../wire/errors.js';

const execFileAsync = promisify(execFile);
const rocBin = fileURLToPath(new URL('./roc.js', import.meta.url));
const ownRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface FitnesseOptions {
  /** The suite or test page, dotted as FitNesse names it: `ClusterSuite.Checks`. */
  page: string;
  /** Run these test pages (dotted, full names) instead of the test pages under `page`. */
  pages?: readonly string[];
  /** The folder that holds FitNesseRoot (FitNesse's -d); default the working directory. */
  dir?: string;
  /** The wiki's root folder name (FitNesse's -r); default FitNesseRoot. */
  rootName?: string;
  /** The topology remote fixtures use (ROC_TOPOLOGY for roc slim). */
  topology?: string;
  /** Where the JUnit XML goes. */
  report: string;
  /** fitnesse-standalone.jar; default the `fitnesse` npm package's. */
  jar?: string;
  /** Where FitNesse (and so roc slim and relative COMMAND_PATTERNs) runs; default the working directory. */
  cwd?: string;
  /** Extra environment for FitNesse and the SLIM servers it starts. */
  env?: NodeJS.ProcessEnv;
  /** After a page fails, the last lines of each guest's logs to show and put in the report (default 20; 0: none). */
  logLines?: number;
  out?: (line: string) => void;
}

/** One page as FitNesse scored it: its counts (undefined when FitNesse gave no result) and its tables. */
export interface PageResult {
  page: string;
  counts: { right: number; wrong: number; ignores: number; exceptions: number } | undefined;
  tables: TableResult[];
}

export interface FitnesseResult {
  pages: PageResult[];
  tables: TableResult[];
  ok: boolean;
}

export class FitnesseSetupError extends RocError {
  static {
    named(this, 'FitnesseSetupError');
  }
}

/** A result that belongs to the page rather than to one of its tables: it counts as failed exceptions. */
function pageProblem(page: string, exceptions: number, failure: string): TableResult {
  return { page, index: 0, kind: 'page', fixture: '', right: 0, wrong: 0, exceptions, ignored: 0, failures: [failure] };
}

/** fitnesse-standalone.jar: --jar, else the `fitnesse` package seen from the working directory, else roc-toolkit's own. */
export function findJar(cwd: string, given?: string): string {
  if (given) {
    if (!existsSync(given)) throw new FitnesseSetupError(`no FitNesse jar at ${given}`);
    return resolve(given);
  }
  for (const from of [join(cwd, 'noop.js'), join(ownRoot, 'noop.js')]) {
    try {
      const jar = join(dirname(createRequire(from).resolve('fitnesse/package.json')), 'fitnesse-standalone.jar');
      if (existsSync(jar)) return jar;
    } catch {
      // not installed there
    }
  }
  throw new FitnesseSetupError(
    'no FitNesse jar: install it with npm install --save-dev fitnesse, or pass --jar <fitnesse-standalone.jar>',
  );
}

const props = (dir: string): string =>
  existsSync(join(dir, 'properties.xml')) ? readFileSync(join(dir, 'properties.xml'), 'utf8') : '';
const SPECIAL_PAGES = new Set(['SetUp', 'TearDown', 'SuiteSetUp', 'SuiteTearDown', 'ScenarioLibrary']);

/** Test pages of a suite, in FitNesse's order (by name), skipping pruned pages; a test page alone is itself. */
export function pagesOf(fitnesseRoot: string, suite: string): string[] {
  const dir = join(fitnesseRoot, ...suite.split('.'));
  if (!existsSync(join(dir, 'content.txt')))
    throw new FitnesseSetupError(`no page ${suite}: ${dir} has no content.txt`);
  if (/<Test\/>/.test(props(dir))) return [suite];
  const pages: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (SPECIAL_PAGES.has(name) || !statSync(sub).isDirectory() || !existsSync(join(sub, 'content.txt'))) continue;
    const p = props(sub);
    if (/<Prune\/>/.test(p)) continue;
    if (/<Test\/>/.test(p)) pages.push(`${suite}.${name}`);
    else if (/<Suite\/>/.test(p)) pages.push(...pagesOf(fitnesseRoot, `${suite}.${name}`));
  }
  return pages;
}

function javaVersion(): string | undefined {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stderr.split('\n')[0] ?? 'java') : undefined;
}

const DEFAULT_LOG_LINES = 20;

/** The topology whose guests' logs explain a failure, if there is one: the run's own, else the one roc.yml lookup finds. */
function topologyOf(options: FitnesseOptions, cwd: string): string | undefined {
  if (options.topology) return resolve(cwd, options.topology);
  if (options.env?.ROC_TOPOLOGY) return resolve(cwd, options.env.ROC_TOPOLOGY);
  try {
    return findTopologyFile(cwd);
  } catch {
    return undefined; // pages that drive no guests: no logs to show
  }
}

async function logsAfterFailure(topology: string, lines: number): Promise<string> {
  try {
    return formatLogs(await guestLogs({ topology, lines }));
  } catch (err) {
    return `(not read: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Runs a FitNesse suite (or page) with roc slim, page by page, printing each
 * table's counts and every failed cell as it goes, and writes a JUnit report.
 * The wiki is copied first, so FitNesse's test history never lands in the
 * user's FitNesseRoot. Pages that do not say how to start their SLIM server
 * get roc slim (TEST_SYSTEM, COMMAND_PATTERN and SLIM_PORT as environment
 * variables, which FitNesse reads after a page's own !defines).
 */
export async function runFitnesse(options: FitnesseOptions): Promise<FitnesseResult> {
  const out = options.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const cwd = options.cwd ?? process.cwd();
  const dir = resolve(cwd, options.dir ?? '.');
  const rootName = options.rootName ?? 'FitNesseRoot';
  if (!existsSync(join(dir, rootName)))
    throw new FitnesseSetupError(`no ${rootName} in ${dir}; pass -d <the folder that holds ${rootName}>`);
  if (!javaVersion())
    throw new FitnesseSetupError(
      'FitNesse needs Java: no java on the PATH (Debian: apt-get install default-jre-headless)',
    );
  const jar = findJar(cwd, options.jar);
  const pages = options.pages ? [...options.pages] : pagesOf(join(dir, rootName), options.page);
  if (pages.length === 0) throw new FitnesseSetupError(`${options.page} holds no test pages`);

  const logsFrom = options.logLines === 0 ? undefined : topologyOf(options, cwd);
  const work = mkdtempSync(join(tmpdir(), 'roc-fitnesse-'));
  cpSync(join(dir, rootName), join(work, rootName), { recursive: true });
  const started = Date.now();
  const tables: TableResult[] = [];
  const pageResults: PageResult[] = [];
  try {
    for (const page of pages) {
      out(`▶ ${page}`);
      const [slimPort, webPort] = [await freePort(), await freePort()];
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        TEST_SYSTEM: 'slim',
        COMMAND_PATTERN: `${process.execPath} ${rocBin} slim`,
        SLIM_PORT: String(slimPort),
        // FitNesse reads slim.port before SLIM_PORT: a page's own fixed SLIM_PORT then cannot collide with a port in use.
        'slim.port': String(slimPort),
        ROC_SLIM_PORT: String(slimPort),
        ...(options.topology ? { ROC_TOPOLOGY: resolve(cwd, options.topology) } : {}),
        ...options.env,
      };
      let xml: string;
      let stderr = '';
      try {
        ({ stdout: xml, stderr } = await execFileAsync(
          'java',
          ['-jar', jar, '-d', work, '-r', rootName, '-p', String(webPort), '-o', '-c', `${page}?test&format=xml`],
          { cwd, env, maxBuffer: 256 * 1024 * 1024, timeout: 30 * 60_000 },
        ));
      } catch (err) {
        // FitNesse exits non-zero when a page fails; its output is still the report.
        const e = err as { stdout?: string; stderr?: string };
        xml = e.stdout ?? '';
        stderr = e.stderr ?? '';
      }
      const found = tablesOf(page, xml);
      const counts = pageCounts(xml);
      const shown = found.reduce((n, t) => n + t.wrong + t.exceptions, 0);
      if (!counts) {
        found.push(
          pageProblem(
            page,
            1,
            `FitNesse gave no result for the page: ${(stderr || xml).trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`,
          ),
        );
      } else if (counts.wrong + counts.exceptions > shown) {
        // Counted by FitNesse but in no instruction's result: a SLIM server that died, an exception outside any table.
        found.push(
          pageProblem(
            page,
            counts.wrong + counts.exceptions - shown,
            found.length
              ? `FitNesse counted ${counts.wrong} wrong and ${counts.exceptions} exceptions on the page, more than its tables show; open the page in FitNesse to see them`
              : `the page did not run: ${pageText(xml) || '(no text)'}`,
          ),
        );
      } else if (counts.right + counts.wrong + counts.exceptions === 0 && found.length === 0) {
        found.push(pageProblem(page, 1, 'nothing on the page ran: no table was checked'));
      }
      for (const t of found) {
        const ok = t.wrong + t.exceptions === 0;
        out(
          `    ${ok ? '✔' : '✖'} ${tableName(t).padEnd(44)} ${t.right} right, ${t.wrong} wrong, ${t.exceptions} exceptions${t.ignored ? `, ${t.ignored} ignored` : ''}`,
        );
        for (const f of t.failures) out(`        ${f}`);
      }
      const failedHere = found.filter((t) => t.wrong + t.exceptions > 0);
      if (failedHere.length && logsFrom) {
        const text = await logsAfterFailure(logsFrom, options.logLines ?? DEFAULT_LOG_LINES);
        for (const t of failedHere) t.logs = text;
        out(`    the guests' logs after the failure (in the JUnit report too):`);
        for (const line of text.split('\n')) out(`      ${line}`);
      }
      tables.push(...found);
      pageResults.push({ page, counts, tables: found });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const sum = (k: 'right' | 'wrong' | 'exceptions'): number => tables.reduce((n, t) => n + t[k], 0);
  const failed = tables.filter((t) => t.wrong + t.exceptions > 0);
  const ok = failed.length === 0;
  mkdirSync(dirname(resolve(cwd, options.report)), { recursive: true });
  writeFileSync(resolve(cwd, options.report), junit(options.page, tables, (Date.now() - started) / 1000));
  out('');
  out(
    `summary: ${plural(pages.length, 'page')}, ${plural(tables.length, 'table')}: ${sum('right')} right, ${sum('wrong')} wrong, ${sum('exceptions')} exceptions — ${ok ? 'all green' : `${plural(failed.length, 'table')} failed`}`,
  );
  const where = relative(cwd, resolve(cwd, options.report));
  out(`JUnit report: ${where.startsWith('..') ? resolve(cwd, options.report) : where}`);
  return { pages: pageResults, tables, ok };
}
