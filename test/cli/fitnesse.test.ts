import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, repoRoot } from '../helpers.js';
import { inPartition, parsePartition, shareOf, testPages, Wiki } from '../../src/cli/fitnesse-wiki.js';

const execFileAsync = promisify(execFile);
const roc = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');
const why = spawnSync('java', ['-version']).status !== 0 ? 'java is not on this machine (CI installs a JRE)' : false;
if (why) console.log(`# SKIP roc fitnesse: ${why}`);

async function rocFitnesse(args: string[], cwd = repoRoot): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [roc, 'fitnesse', ...args], {
      cwd,
      timeout: 300_000,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe('roc fitnesse: any suite, with roc slim', { skip: why }, () => {
  test('a green suite: every page as it finishes, the summary, a JUnit test case per page, exit 0', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'roc-fitnesse-')), 'junit.xml');
    const { code, out } = await rocFitnesse(['RocSlim.Green', '-d', 'test/fitnesse', '--report', report]);
    assert.equal(code, 0, out);
    assert.match(out, /^✔ RocSlim\.Green\.Chaining {2}\d+ right, 0 wrong, 0 ignored, 0 exceptions \(\d+\.\d\d s\)$/m);
    assert.match(
      out,
      /\nsummary: 13 pages: \d+ right, 0 wrong, 0 ignored, 0 exceptions — all green \(\d+\.\d s\)\nJUnit report: /,
    );
    const xml = readFileSync(report, 'utf8');
    assert.match(
      xml,
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="RocSlim\.Green" tests="13" failures="0" errors="0" time="/,
    );
    assert.match(xml, /<testcase classname="RocSlim\.Green" name="Chaining" time="\d+\.\d{3}" assertions="\d+"\/>/);
  });

  test("a failing page: the failed table, its cells and FitNesse's counts, an <error> in JUnit, exit 1", async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'roc-fitnesse-')), 'junit.xml');
    const { code, out } = await rocFitnesse(['RocSlim.Stops.StopTest', '-d', 'test/fitnesse', '--report', report]);
    assert.equal(code, 1, out);
    // FitNesse counts a stop-test exception as an exception (its cell is coloured as a failure).
    assert.match(out, /^✖ RocSlim\.Stops\.StopTest {2}1 right, 0 wrong, 0 ignored, 1 exceptions/m);
    assert.match(
      out,
      /✖ table 2 \(script: TestSlim\)\s+1 right, 0 wrong, 1 exceptions\n {8}throwStopping\(\): StopTestException: This is a stop test exception\n {10}/,
    );
    assert.match(out, /summary: 1 page: 1 right, 0 wrong, 0 ignored, 1 exceptions — 1 page failed/);
    assert.match(
      readFileSync(report, 'utf8'),
      /tests="1" failures="0" errors="1"[^]*<error message="RocSlim\.Stops\.StopTest: 1 right, 0 wrong, 0 ignored, 1 exceptions; throwStopping\(\): StopTestException/,
    );
  });

  test('a page with no SLIM settings of its own gets roc slim; its history stays out of the wiki', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-fitnesse-bare-'));
    mkdirSync(join(dir, 'FitNesseRoot', 'BareTest'), { recursive: true });
    cpSync(join(repoRoot, 'test', 'fitnesse', 'fixtures'), join(dir, 'fixtures'), { recursive: true });
    writeFileSync(
      join(dir, 'FitNesseRoot', 'BareTest', 'content.txt'),
      'No !define here.\n\n|import|\n|fixtures|\n\n|script|echo script|\n|check|echo|hi|hi|\n',
    );
    writeFileSync(
      join(dir, 'FitNesseRoot', 'BareTest', 'properties.xml'),
      '<?xml version="1.0"?>\n<properties>\n\t<Test/>\n</properties>\n',
    );
    const { code, out } = await rocFitnesse(['BareTest', '--report', 'junit.xml'], dir);
    assert.equal(code, 0, out);
    // FitNesse counts the check, not the import or the script's constructor.
    assert.match(out, /^✔ BareTest {2}1 right, 0 wrong, 0 ignored, 0 exceptions/m);
    assert.ok(existsSync(join(dir, 'junit.xml')));
    assert.ok(!existsSync(join(dir, 'FitNesseRoot', 'files')), 'FitNesse ran on a copy of the wiki');
  });

  test('pre-flight: a guest of the topology that does not answer stops the run before any page, saying how to start it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-fitnesse-preflight-'));
    cpSync(join(repoRoot, 'test', 'fitnesse', 'runner', 'FitNesseRoot'), join(dir, 'FitNesseRoot'), {
      recursive: true,
    });
    cpSync(join(repoRoot, 'test', 'fitnesse', 'fixtures'), join(dir, 'fixtures'), { recursive: true });
    const [p1, p2] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'roc.yml'),
      `guests:\n  web1: { host: 127.0.0.1, port: ${p1} }\n  web2: { host: 127.0.0.1, port: ${p2} }\n`,
    );
    const { code, out, err } = await rocFitnesse(['Runner.Green', '--report', 'junit.xml'], dir);
    assert.equal(code, 1);
    assert.equal(out, '', 'no page ran');
    assert.match(
      err,
      new RegExp(
        `^roc fitnesse: 2 guests of roc\\.yml did not answer, so no page ran:\\n  web1 \\(127\\.0\\.0\\.1:${p1}\\): .+\\n  web2 \\(127\\.0\\.0\\.1:${p2}\\): .+\\nstart them first: roc lab up -t roc\\.yml \\(a local lab\\), or vagrant up \\(Vagrant guests\\); roc ping -t roc\\.yml shows them\\n$`,
      ),
    );
    assert.ok(!existsSync(join(dir, 'junit.xml')));
    // Pages that drive no guests can skip it.
    const skipped = await rocFitnesse(
      ['Runner.Green', '--report', 'junit.xml', '--no-preflight', '--log-lines', '0'],
      dir,
    );
    assert.equal(skipped.code, 0, skipped.out + skipped.err);
  });

  test('setup errors name what is missing and what to do', async () => {
    const noPage = await rocFitnesse(['RocSlim.Nope', '-d', 'test/fitnesse']);
    assert.equal(noPage.code, 1);
    assert.match(
      noPage.err,
      /^roc fitnesse: no page RocSlim\.Nope: \S+test\/fitnesse\/FitNesseRoot\/RocSlim\/Nope has no content\.txt\n$/,
    );
    const noRoot = await rocFitnesse(['RocSlim.Green', '-d', 'examples']);
    assert.equal(noRoot.code, 1);
    assert.match(
      noRoot.err,
      /^roc fitnesse: no FitNesseRoot in \S+examples; pass -d <the folder that holds FitNesseRoot>\n$/,
    );
    const noJar = await rocFitnesse(['RocSlim.Green', '-d', 'test/fitnesse', '--jar', '/nonexistent/fitnesse.jar']);
    assert.match(noJar.err, /^roc fitnesse: no FitNesse jar at \/nonexistent\/fitnesse\.jar\n$/);
  });
});

/** The runner's own wiki (test/fitnesse/runner): pages written as FitNesse writes them, some failing on purpose. */
async function runnerRun(extra: string[]): Promise<{ code: number; out: string; err: string; junit: string }> {
  const report = join(mkdtempSync(join(tmpdir(), 'roc-fitnesse-runner-')), 'junit.xml');
  const r = await rocFitnesse(
    ['Runner', '-d', 'runner', '--report', report, ...extra],
    join(repoRoot, 'test', 'fitnesse'),
  );
  return { ...r, junit: existsSync(report) ? readFileSync(report, 'utf8') : '' };
}
const pagesRun = (out: string): string[] => [...out.matchAll(/^[✔✖] (\S+) {2}/gm)].map((m) => m[1]!);
const runnerWiki = new Wiki(join(repoRoot, 'test', 'fitnesse', 'runner', 'FitNesseRoot'));

describe("roc fitnesse gives FitNesse's verdict, on pages written as FitNesse writes them", { skip: why }, () => {
  test('one FitNesse run: the pages FitNesse picks (both property forms, by name, pruned left out), SuiteSetUp once, wrong query cells, a multi-line exception', async () => {
    const { code, out, junit } = await runnerRun(['--exclude-tags', 'slow']);
    assert.equal(code, 1, out);
    // FitNesse's own order and choice, which the runner's page finder reproduces.
    assert.deepEqual(pagesRun(out), [
      'Runner.SuiteSetUp',
      'Runner.Green.GreenOneTest',
      'Runner.Green.GreenTwo',
      'Runner.MultiLineExceptionTest',
      'Runner.QueryWrong',
      'Runner.SubsetQueryWrong',
    ]);
    assert.deepEqual(testPages(runnerWiki, 'Runner', { excludeTags: ['slow'] }), pagesRun(out).slice(1));
    assert.match(
      out,
      /^✖ Runner\.QueryWrong {2}7 right, 1 wrong, 0 ignored, 0 exceptions .*\n {4}✖ table 2 \(query: EmployeesHiredBefore\)\s+7 right, 1 wrong, 0 exceptions\n {8}row 2, hire date: expected \[15-Dec-1980\] but was \[15-Dec-1979\]\n/m,
    );
    assert.match(
      out,
      /^✖ Runner\.SubsetQueryWrong {2}2 right, 1 wrong, 0 ignored, 0 exceptions .*\n {4}✖ table 2 \(subset query: EmployeesHiredBefore\)\s+2 right, 1 wrong, 0 exceptions\n {8}row 2: missing \[Jim \| Newkirk\]\n/m,
    );
    // Every line of the exception, in the output and in JUnit's <error>.
    assert.match(
      out,
      /throwMultiLine\(\): Error: the first line of three\n {10}the second line\n {10}the third line\n {10}\s*at TestSlim\.throwMultiLine/,
    );
    assert.match(
      junit,
      /<testcase classname="Runner" name="MultiLineExceptionTest"[^>]*>\n {6}<error message="[^"]*" type="exception">[^<]*the second line\n[^<]*the third line/,
    );
    assert.match(junit, /<testcase classname="Runner" name="QueryWrong"[^>]*>\n {6}<failure [^>]*type="wrong">/);
    assert.match(junit, /tests="6" failures="2" errors="1"/);
    assert.match(out, /summary: 6 pages: 16 right, 2 wrong, 0 ignored, 1 exceptions — 3 pages failed/);
  });

  test("--tags and --exclude-tags are FitNesse's suiteFilter and excludeSuiteFilter: a tagged suite takes its pages", async () => {
    const smoke = await runnerRun(['--tags', 'smoke']);
    assert.equal(smoke.code, 0, smoke.out);
    assert.deepEqual(pagesRun(smoke.out), ['Runner.SuiteSetUp', 'Runner.Green.GreenOneTest', 'Runner.Green.GreenTwo']);
    assert.deepEqual(testPages(runnerWiki, 'Runner', { tags: ['smoke'] }), pagesRun(smoke.out).slice(1));
    const notExtra = await runnerRun(['--tags', 'smoke,query', '--exclude-tags', 'extra']);
    assert.deepEqual(
      pagesRun(notExtra.out).slice(1),
      testPages(runnerWiki, 'Runner', { tags: ['smoke', 'query'], excludeTags: ['extra'] }),
    );
    assert.deepEqual(pagesRun(notExtra.out).slice(1), [
      'Runner.Green.GreenOneTest',
      'Runner.QueryWrong',
      'Runner.SubsetQueryWrong',
    ]);
    const none = await runnerRun(['--tags', 'nothing-has-this']);
    assert.equal(none.code, 1);
    assert.match(none.err, /^roc fitnesse: Runner holds no test pages with tags nothing-has-this\n$/);
  });

  test('--page-timeout stops a page that runs too long, reports it with the time it ran, and goes on with the next page', async () => {
    const { code, out, junit } = await runnerRun(['--page-timeout', '3s', '--tags', 'slow,query']);
    assert.equal(code, 1, out);
    assert.match(
      out,
      /^✖ Runner\.SlowTest {2}no result \(3\.\d\d s\)\n {4}timed out: stopped after 3\.\d s \(--page-timeout 3\.0 s\)/m,
    );
    assert.deepEqual(pagesRun(out), [
      'Runner.SuiteSetUp',
      'Runner.QueryWrong',
      'Runner.SlowTest',
      'Runner.SuiteSetUp',
      'Runner.SubsetQueryWrong',
    ]);
    assert.match(
      junit,
      /<testcase classname="Runner" name="SlowTest" time="3\.\d{3}">\n {6}<error message="Runner\.SlowTest: no result; timed out/,
    );
    // Nothing of the stopped run is left: no FitNesse, no SLIM server.
    const left = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => {
        try {
          return readFileSync(`/proc/${d}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })
      .filter((c) => c.includes('test-slim') || (c.includes('fitnesse-standalone') && c.includes('roc-fitnesse-')));
    assert.deepEqual(left, []);
    const bad = await rocFitnesse(
      ['Runner', '-d', 'runner', '--page-timeout', 'soon'],
      join(repoRoot, 'test', 'fitnesse'),
    );
    assert.match(
      bad.err,
      /^roc fitnesse: --page-timeout takes a duration of more than 0 such as 90s, 5m or 1500ms, got "soon"\n$/,
    );
  });

  test('--partition 1/3, 2/3, 3/3 run disjoint shares that together name every page once', async () => {
    const all = testPages(runnerWiki, 'Runner', { excludeTags: ['slow'] });
    const named: string[] = [];
    for (const i of [1, 2, 3]) {
      const { out, junit } = await runnerRun(['--partition', `${i}/3`, '--exclude-tags', 'slow']);
      assert.match(out, new RegExp(`^partition ${i}/3: \\d+ pages? of ${all.length}$`, 'm'));
      for (const m of junit.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"/g))
        if (m[2] !== 'SuiteSetUp') named.push(`${m[1]}.${m[2]}`);
    }
    assert.deepEqual([...named].sort(), [...all].sort());
    const bad = await rocFitnesse(['Runner', '-d', 'runner', '--partition', '4/3'], join(repoRoot, 'test', 'fitnesse'));
    assert.match(
      bad.err,
      /^roc fitnesse: --partition takes i\/n with 1 <= i <= n \(the i-th of n shares, e\.g\. 2\/3\), got "4\/3"\n$/,
    );
  });

  test("--html keeps FitNesse's HTML of each failed page", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'roc-fitnesse-html-'));
    await runnerRun(['--tags', 'query', '--html', folder]);
    assert.deepEqual(readdirSync(folder).sort(), ['Runner.QueryWrong.html', 'Runner.SubsetQueryWrong.html']);
    assert.match(
      readFileSync(join(folder, 'Runner.QueryWrong.html'), 'utf8'),
      /<span class="fail">expected \[15-Dec-1980\]<\/span>/,
    );
  });
});

describe('check history from a page', { skip: why }, () => {
  test('a history recorded by fixtures is linearizable; a stale one names the read, what it could have seen and its report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-fitnesse-history-'));
    const { code, out } = await rocFitnesse(
      ['Histories', '-d', 'runner', '--report', join(dir, 'junit.xml'), '--no-preflight'],
      join(repoRoot, 'test', 'fitnesse'),
    );
    assert.equal(code, 1, out);
    assert.match(out, /^✔ Histories\.RecordedRegisterTest {2}2 right, 0 wrong, 0 ignored, 0 exceptions/m);
    assert.match(
      out,
      /checkHistoryIsLinearizableAs\(runner\/histories\/stale\.jsonl, register\): Error: history runner\/histories\/stale\.jsonl is not linearizable as register: process 2's read null -> 1 cannot be placed after 2 operations; it could have seen 2; report: \S+history-stale\.html/,
    );
    assert.match(out, /^run report: \S+history-reports\/history-reg\.html$/m);
    assert.match(out, /^run report: \S+history-reports\/history-stale\.html$/m);
    assert.ok(existsSync(join(dir, 'history-reports', 'history-stale.html')));
  });
});

describe("the page finder: FitNesse's rules for which pages a suite runs", () => {
  test('both property forms, a page typed by its name, pruning, tags on suites and pages', () => {
    assert.deepEqual(testPages(runnerWiki, 'Runner'), [
      'Runner.Green.GreenOneTest',
      'Runner.Green.GreenTwo',
      'Runner.MultiLineExceptionTest',
      'Runner.QueryWrong',
      'Runner.SlowTest',
      'Runner.SubsetQueryWrong',
    ]);
    assert.deepEqual(testPages(runnerWiki, 'Runner.QueryWrong'), ['Runner.QueryWrong']);
    assert.throws(
      () => testPages(runnerWiki, 'Runner.Nope'),
      /no page Runner\.Nope: \S+Runner\/Nope has no content\.txt/,
    );
  });

  test('a page stays in its share when pages are added beside it', () => {
    const pages = Array.from({ length: 200 }, (_, i) => `Suite.Page${i}`);
    const before = new Map(pages.map((p) => [p, shareOf(p, 4)]));
    const more = [...pages, ...Array.from({ length: 50 }, (_, i) => `Suite.Added${i}`)];
    for (const p of pages) assert.equal(shareOf(p, 4), before.get(p));
    const counts = [1, 2, 3, 4].map((i) => more.filter((p) => inPartition(p, { index: i, count: 4 })).length);
    assert.equal(
      counts.reduce((a, b) => a + b),
      more.length,
    );
    for (const c of counts) assert.ok(c > 30, `shares are roughly even: ${counts.join(', ')}`);
    assert.throws(() => parsePartition('0/3'), /--partition takes i\/n/);
    assert.deepEqual(parsePartition('2/3'), { index: 2, count: 3 });
  });
});
