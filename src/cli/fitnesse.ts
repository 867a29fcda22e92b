import { spawn, type ChildProcess } from 'node:child_process';
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
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../topology/free-port.js';
import { findTopologyFile } from '../topology/find.js';
import { addCounts, failed, readPageRun, zero, type Counts } from './fitnesse-result.js';
import { junit, pageFailed, plural, tableName, type PageResult } from './fitnesse-junit.js';
import { FitnesseSetupError, inPartition, keepOnly, testPages, Wiki, type Partition } from './fitnesse-wiki.js';

export { FitnesseSetupError } from './fitnesse-wiki.js';
export type { PageResult } from './fitnesse-junit.js';

const rocBin = fileURLToPath(new URL('./roc.js', import.meta.url));
const ownRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface FitnesseOptions {
  /** The suite or test page, dotted as FitNesse names it: `ClusterSuite.Checks`. */
  page: string;
  /** Run these test pages (dotted, full names) instead of the test pages under `page`. */
  pages?: readonly string[];
  /** FitNesse's suiteFilter: only test pages (or pages of suites) with one of these tags. */
  tags?: readonly string[];
  /** FitNesse's excludeSuiteFilter: no page (and nothing under a suite) with one of these tags. */
  excludeTags?: readonly string[];
  /** Run the i-th of n disjoint shares of the test pages. */
  partition?: Partition;
  /** Stop a page that runs longer than this, report it as an error and go on with the next page. */
  pageTimeoutMs?: number;
  /** Keep FitNesse's HTML of each failed page in this folder. */
  html?: string;
  /** Ping every guest of the topology before the first page (default: when there is a topology). */
  preflight?: boolean;
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

export interface FitnesseResult {
  /** Every page FitNesse ran (SuiteSetUp and SuiteTearDown included, as FitNesse counts them), in its order. */
  pages: PageResult[];
  /** The sum of FitNesse's counts over the pages. */
  totals: Counts;
  ok: boolean;
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

/** Java on the PATH, found without starting a JVM (a start costs more than a small page). */
function hasJava(): boolean {
  if (process.env.JAVA_HOME && existsSync(join(process.env.JAVA_HOME, 'bin', 'java'))) return true;
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'java')));
}

const DEFAULT_LOG_LINES = 20;

// The topology's modules load only for runs that have one: most of a small suite's time is start-up.
const topologyModule = () => import('../topology/index.js');

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
  const { formatLogs, guestLogs } = await topologyModule();
  try {
    return formatLogs(await guestLogs({ topology, lines }));
  } catch (err) {
    return `(not read: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/** Every guest answers a ping, or the run stops before its first page with one line per guest that does not. */
async function preflight(file: string): Promise<void> {
  const topology = (await topologyModule()).loadTopology(file);
  try {
    const result = await topology.guests().map('ping()', (g) => g.ping({ timeout: 3000 }));
    const down = result.outcomes.filter((o) => !o.ok);
    if (!down.length) return;
    const lines = down.map((o) => `  ${o.guest} (${o.endpoint}): ${o.ok ? '' : o.error.message.split('\n')[0]}`);
    const where = relative(process.cwd(), file) || file;
    throw new FitnesseSetupError(
      `${plural(down.length, 'guest')} of ${where} did not answer, so no page ran:\n${lines.join('\n')}\n` +
        `start them first: roc lab up -t ${where} (a local lab), or vagrant up (Vagrant guests); roc ping -t ${where} shows them`,
    );
  } finally {
    topology.close();
  }
}

/** FitNesse's own suite run of the page, with its tag filters; text format: a line per page as it completes. */
function suiteCommand(options: FitnesseOptions): string {
  const q = new URLSearchParams({ suite: '', format: 'text' });
  if (options.tags?.length) q.set('suiteFilter', options.tags.join(','));
  if (options.excludeTags?.length) q.set('excludeSuiteFilter', options.excludeTags.join(','));
  return `${options.page}?${q.toString().replace('suite=&', 'suite&')}`;
}

/** FitNesse's text format: one line per page as it completes. */
const PAGE_LINE = /^([.FX]) \d\d:\d\d:\d\d R:(\d+)\s+W:(\d+)\s+I:(\d+)\s+E:(\d+)\s+(.*?)\t\((.*)\)\t([\d.,]+) seconds$/;

/** FitNesse writes a page's history file just after it prints the page's line: wait for the whole file. */
async function historyOf(work: string, rootName: string, page: string): Promise<string | undefined> {
  const dir = join(work, rootName, 'files', 'testResults', page);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const files = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.xml'))
          .sort()
      : [];
    const last = files.at(-1);
    if (last) {
      const xml = readFileSync(join(dir, last), 'utf8');
      if (xml.trimEnd().endsWith('</testResults>')) return xml;
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 2));
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function stopGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A page's rendered result as a file a person opens from CI's artifacts. */
function htmlPage(page: string, html: string): string {
  const css =
    'body{font-family:sans-serif}table{border-collapse:collapse;margin:.5em 0}td{border:1px solid #999;padding:2px 6px}' +
    '.pass{background:#cfffcf}.fail{background:#ffcfcf}.error{background:#ffffaa}.ignore{background:#efefef}' +
    '.closed-detail{display:table-row}pre{white-space:pre-wrap}';
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${page}</title><style>${css}</style></head><body><h1>${page}</h1>\n${html}\n</body></html>\n`;
}

/**
 * Runs a FitNesse suite (or page) with roc slim as FitNesse itself runs a
 * suite: one FitNesse process and one SLIM server for all its pages, with
 * SuiteSetUp and SuiteTearDown once. Each page is reported as it finishes,
 * with FitNesse's own counts and each table's share of them, and a JUnit
 * report is written at the end. The wiki is copied first, so FitNesse's test
 * history never lands in the user's FitNesseRoot; in the copy, the test pages
 * not chosen (tags, partition, an explicit list) are made ordinary pages.
 * Pages that do not say how to start their SLIM server get roc slim
 * (TEST_SYSTEM, COMMAND_PATTERN and SLIM_PORT as environment variables,
 * which FitNesse reads after a page's own !defines).
 */
export async function runFitnesse(options: FitnesseOptions): Promise<FitnesseResult> {
  const out = options.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const cwd = options.cwd ?? process.cwd();
  const dir = resolve(cwd, options.dir ?? '.');
  const rootName = options.rootName ?? 'FitNesseRoot';
  if (!existsSync(join(dir, rootName)))
    throw new FitnesseSetupError(`no ${rootName} in ${dir}; pass -d <the folder that holds ${rootName}>`);
  if (!hasJava())
    throw new FitnesseSetupError(
      'FitNesse needs Java: no java on the PATH (Debian: apt-get install default-jre-headless)',
    );
  const jar = findJar(cwd, options.jar);
  const wiki = new Wiki(join(dir, rootName));
  const found = options.pages
    ? [...options.pages]
    : testPages(wiki, options.page, { tags: options.tags, excludeTags: options.excludeTags });
  const filtered = [
    options.tags?.length && `tags ${options.tags.join(',')}`,
    options.excludeTags?.length && `not tags ${options.excludeTags.join(',')}`,
  ]
    .filter(Boolean)
    .join(', ');
  if (found.length === 0)
    throw new FitnesseSetupError(`${options.page} holds no test pages${filtered ? ` with ${filtered}` : ''}`);
  const chosen = options.partition ? found.filter((p) => inPartition(p, options.partition!)) : found;
  const reportFile = resolve(cwd, options.report);
  // Run reports that fixtures write (check history) go beside the JUnit report, and are listed at the end.
  const reportDir =
    options.env?.ROC_REPORT_DIR ?? process.env.ROC_REPORT_DIR ?? join(dirname(reportFile), 'history-reports');
  const topology = topologyOf(options, cwd);
  if (chosen.length && topology && (options.preflight ?? true)) await preflight(topology);
  const logsFrom = options.logLines === 0 ? undefined : topology;
  const started = Date.now();
  if (options.partition)
    out(
      `partition ${options.partition.index}/${options.partition.count}: ${plural(chosen.length, 'page')} of ${found.length}`,
    );

  const work = mkdtempSync(join(tmpdir(), 'roc-fitnesse-'));
  // FitNesse's test history (files/testResults, often the bulk of a wiki) is not needed to run a page.
  const history = join(dir, rootName, 'files', 'testResults');
  cpSync(join(dir, rootName), join(work, rootName), { recursive: true, filter: (from) => from !== history });
  const workWiki = new Wiki(join(work, rootName));
  const results: PageResult[] = [];
  const remaining = [...chosen];
  const report = async (p: PageResult): Promise<void> => {
    results.push(p);
    const c = p.counts;
    out(
      `${pageFailed(p) ? '✖' : '✔'} ${p.page}  ${c ? `${c.right} right, ${c.wrong} wrong, ${c.ignores} ignored, ${c.exceptions} exceptions` : 'no result'} (${p.seconds.toFixed(2)} s)`,
    );
    if (!pageFailed(p)) return;
    if (p.error) out(`    ${p.error}`);
    for (const t of [...p.tables, ...(p.rest ? [p.rest] : [])]) {
      if (!failed(t)) continue;
      out(`    ✖ ${tableName(t).padEnd(44)} ${t.right} right, ${t.wrong} wrong, ${t.exceptions} exceptions`);
      for (const f of t.failures)
        for (const [i, line] of f.split('\n').entries()) out(`${i ? '          ' : '        '}${line}`);
    }
    if (logsFrom) {
      p.logs = await logsAfterFailure(logsFrom, options.logLines ?? DEFAULT_LOG_LINES);
      out(`    the guests' logs after the failure (in the JUnit report too):`);
      for (const line of p.logs.split('\n')) out(`      ${line}`);
    }
  };
  try {
    // FitNesse picks the pages itself unless a share, a list or an earlier timeout leaves fewer to run.
    while (remaining.length) {
      if (remaining.length < found.length || options.pages) keepOnly(workWiki, options.page, new Set(remaining));
      const stopped = await runOnce({ options, cwd, jar, work, rootName, remaining, report, out, reportDir });
      if (stopped) continue;
      for (const page of remaining.splice(0))
        await report({
          page,
          counts: undefined,
          tables: [],
          seconds: 0,
          error: 'FitNesse ended the run before this page (a stop-suite exception, or FitNesse failed: see above)',
        });
    }
    if (options.html) {
      const folder = resolve(cwd, options.html);
      mkdirSync(folder, { recursive: true });
      for (const p of results) {
        if (!pageFailed(p) || !htmlOf.has(p)) continue;
        writeFileSync(join(folder, `${p.page}.html`), htmlPage(p.page, htmlOf.get(p)!));
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const totals = zero();
  for (const p of results) if (p.counts) addCounts(totals, p.counts);
  const failedPages = results.filter(pageFailed);
  const ok = failedPages.length === 0;
  mkdirSync(dirname(reportFile), { recursive: true });
  writeFileSync(reportFile, junit(options.page, results, (Date.now() - started) / 1000));
  out('');
  out(
    `summary: ${plural(results.length, 'page')}: ${totals.right} right, ${totals.wrong} wrong, ${totals.ignores} ignored, ${totals.exceptions} exceptions — ${ok ? 'all green' : `${plural(failedPages.length, 'page')} failed`} (${seconds(Date.now() - started)})`,
  );
  const shown = (file: string): string => {
    const where = relative(cwd, file);
    return where.startsWith('..') ? file : where;
  };
  out(`JUnit report: ${shown(reportFile)}`);
  const written = existsSync(reportDir)
    ? readdirSync(reportDir)
        .filter((f) => f.endsWith('.html') && statSync(join(reportDir, f)).mtimeMs >= started)
        .map((f) => join(reportDir, f))
    : [];
  for (const f of written) out(`run report: ${shown(f)}`);
  if (options.html && failedPages.length) out(`failed pages' HTML: ${resolve(cwd, options.html)}`);
  return { pages: results, totals, ok };
}

/** The HTML FitNesse rendered for each page, kept only as long as the run needs it. */
const htmlOf = new WeakMap<PageResult, string>();

interface RunOnce {
  options: FitnesseOptions;
  cwd: string;
  jar: string;
  work: string;
  rootName: string;
  /** The pages still to run, in FitNesse's order; pages are taken off as they finish. */
  remaining: string[];
  report: (p: PageResult) => Promise<void>;
  out: (line: string) => void;
  reportDir: string;
}

/**
 * One FitNesse process running the suite over the pages still to run. It
 * resolves true when it stopped a page that ran past the page timeout (the
 * caller starts FitNesse again for the pages after it), false when FitNesse
 * ended by itself.
 */
async function runOnce(run: RunOnce): Promise<boolean> {
  const { options, cwd, jar, work, rootName, remaining } = run;
  const [slimPort, webPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEST_SYSTEM: 'slim',
    COMMAND_PATTERN: `${process.execPath} ${rocBin} slim`,
    SLIM_PORT: String(slimPort),
    // FitNesse reads slim.port before SLIM_PORT: a page's own fixed SLIM_PORT then cannot collide with a port in use.
    'slim.port': String(slimPort),
    ROC_SLIM_PORT: String(slimPort),
    ROC_REPORT_DIR: run.reportDir,
    ...(options.topology ? { ROC_TOPOLOGY: resolve(cwd, options.topology) } : {}),
    ...options.env,
  };
  const child = spawn(
    'java',
    ['-jar', jar, '-d', work, '-r', rootName, '-p', String(webPort), '-o', '-c', suiteCommand(options)],
    // Its own process group: a page timeout stops FitNesse and the SLIM server it started, and nothing else.
    { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  child.stderr.setEncoding('utf8').on('data', (d: string) => d.split('\n').forEach((l) => l.trim() && keep(l)));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let pageStarted = Date.now();
  const arm = (): void => {
    pageStarted = Date.now();
    if (!options.pageTimeoutMs) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      stopGroup(child);
    }, options.pageTimeoutMs);
  };
  arm();
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const m = PAGE_LINE.exec(line);
      if (!m) {
        if (line.trim()) keep(line);
        continue;
      }
      const page = m[7]!;
      const secs = Number(m[8]!.replace(',', '.'));
      const xml = await historyOf(work, rootName, page);
      const at = remaining.indexOf(page);
      if (at >= 0) remaining.splice(at, 1);
      const counts: Counts = {
        right: Number(m[2]),
        wrong: Number(m[3]),
        ignores: Number(m[4]),
        exceptions: Number(m[5]),
      };
      if (!xml) {
        await run.report({
          page,
          counts,
          tables: [],
          seconds: secs,
          error: failed(counts) ? `FitNesse wrote no result file for the page` : undefined,
        });
      } else {
        const r = readPageRun(page, xml);
        const p: PageResult = { page, counts: r.counts, tables: r.tables, rest: r.rest, seconds: secs };
        htmlOf.set(p, r.html);
        await run.report(p);
      }
      arm();
    }
    const code = await closed;
    if (timedOut && remaining.length) {
      const page = remaining.shift()!;
      const ran = Date.now() - pageStarted;
      await run.report({
        page,
        counts: undefined,
        tables: [],
        seconds: ran / 1000,
        error: `timed out: stopped after ${seconds(ran)} (--page-timeout ${seconds(options.pageTimeoutMs!)}); FitNesse and its SLIM server were stopped and the run went on with the next page`,
      });
      return true;
    }
    if (remaining.length) for (const line of tail.slice(-5)) run.out(`  FitNesse (exit ${code}): ${line}`);
    return false;
  } finally {
    clearTimeout(timer);
    stopGroup(child);
  }
}
