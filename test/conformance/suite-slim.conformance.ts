/**
 * The SLIM conformance tier: FitNesse's own SLIM acceptance pages
 * (FitNesse.SuiteAcceptanceTests.SuiteSlimTests, inside the fitnesse
 * package's fitnesse-standalone.jar), unchanged, against roc slim, with
 * JavaScript ports of the Java fixtures they use (test/conformance/fixtures,
 * where their package names read as folders: fitnesse/slim/test, eg, ...).
 * Each portable page must be green with the counts the Java SlimService
 * gets (pages.json); the whole suite, run as FitNesse runs it (one SLIM
 * server for every page), must run every page.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFitnesse } from '../../src/cli/fitnesse.js';
import { testPages, Wiki } from '../../src/cli/fitnesse-wiki.js';
import { freePort, repoRoot } from '../helpers.js';

const why = spawnSync('java', ['-version']).status !== 0 ? 'java is not on this machine (CI installs a JRE)' : false;
if (why) console.log(`# SKIP SLIM conformance: ${why}`);

interface Counts {
  right: number;
  wrong: number;
  ignores: number;
  exceptions: number;
}
const expected = JSON.parse(readFileSync(join(repoRoot, 'test', 'conformance', 'pages.json'), 'utf8')) as {
  suite: string;
  portable: Record<string, Counts>;
  excluded: Record<string, string>;
};
const jar = join(repoRoot, 'node_modules', 'fitnesse', 'fitnesse-standalone.jar');
const fixtures = join(repoRoot, 'test', 'conformance', 'fixtures');
const roc = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');
let wiki: string;

before(() => {
  if (why) return;
  wiki = mkdtempSync(join(tmpdir(), 'roc-conformance-'));
  // FitNesse installs its own wiki, acceptance pages included, from the jar.
  execFileSync('java', ['-jar', jar, '-d', wiki, '-i'], { stdio: 'ignore', timeout: 120_000 });
});

after(() => {
  if (wiki) rmSync(wiki, { recursive: true, force: true });
});

test(
  `every portable page of ${expected.suite} is green under roc slim, with the counts of the Java SlimService`,
  { skip: why, timeout: 900_000 },
  async (t) => {
    const pages = Object.keys(expected.portable).map((p) => `${expected.suite}.${p}`);
    const lines: string[] = [];
    const result = await runFitnesse({
      page: expected.suite,
      pages,
      dir: wiki,
      cwd: fixtures,
      report: join(wiki, 'junit.xml'),
      out: (l) => lines.push(l),
    });
    const mismatches: string[] = [];
    for (const page of result.pages) {
      const name = page.page.slice(expected.suite.length + 1);
      const want = expected.portable[name]!;
      const got = page.counts;
      const show = (c: Counts | undefined): string =>
        c ? `R:${c.right} W:${c.wrong} I:${c.ignores} E:${c.exceptions}` : 'no result';
      t.diagnostic(
        `${show(got) === show(want) ? '✔' : '✖'} ${name}: ${show(got)}${show(got) === show(want) ? '' : ` (Java: ${show(want)})`}`,
      );
      if (show(got) !== show(want))
        mismatches.push(`${name}: roc slim ${show(got)}, Java ${show(want)}\n${lines.join('\n')}`);
    }
    assert.equal(result.pages.length, pages.length);
    assert.deepEqual(mismatches, [], mismatches.join('\n\n'));
    assert.ok(result.ok);
  },
);

/** FitNesse's own run of the whole suite (`?suite&format=...`), roc slim its SLIM server: what it printed. */
async function ownSuiteRun(format: 'text' | 'xml'): Promise<string> {
  const run = spawnSync(
    'java',
    ['-jar', jar, '-d', wiki, '-p', String(await freePort()), '-o', '-c', `${expected.suite}?suite&format=${format}`],
    {
      cwd: fixtures,
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, COMMAND_PATTERN: `${process.execPath} ${roc} slim`, 'slim.port': '0' },
    },
  );
  return run.stdout;
}

test(
  'the whole suite, as FitNesse runs it with one roc slim for every page: every page runs; only the non-portable pages fail',
  { skip: why, timeout: 900_000 },
  async () => {
    const out = await ownSuiteRun('text');
    const pages = [...out.matchAll(/^([.FX]) \S+ R:(\d+)\s+W:(\d+)\s+I:(\d+)\s+E:(\d+)\s+(\S+)\t\(([^)]+)\)/gm)].map(
      (m) => ({ ok: m[1] === '.', name: m[7]!.slice(expected.suite.length + 1) }),
    );
    const total = Object.keys(expected.portable).length + Object.keys(expected.excluded).length;
    assert.match(
      out,
      new RegExp(`^${total} Tests,\\s+${Object.keys(expected.excluded).length} Failures`, 'm'),
      out.slice(-2000),
    );
    assert.deepEqual(
      pages
        .filter((p) => !p.ok)
        .map((p) => p.name)
        .sort(),
      Object.keys(expected.excluded).sort(),
    );
  },
);

test(
  "roc fitnesse runs the whole suite in one FitNesse process and finds, page by page, FitNesse's own counts and pages; every page's tables add up to them",
  { skip: why, timeout: 900_000 },
  async () => {
    // The oracle: FitNesse's own XML result of the same suite, with the same roc slim.
    const own = await ownSuiteRun('xml');
    const fitnesse = new Map<string, Counts>();
    for (const m of own.matchAll(/<result>([\s\S]*?)<\/result>/g)) {
      const n = (k: string): number => Number(new RegExp(`<${k}>(\\d+)</${k}>`).exec(m[1]!)![1]);
      const page = /<pageHistoryLink>([^?<]+)\?/.exec(m[1]!)![1]!;
      fitnesse.set(page, { right: n('right'), wrong: n('wrong'), ignores: n('ignores'), exceptions: n('exceptions') });
    }
    assert.ok(fitnesse.size > 40, own.slice(-2000));
    const lines: string[] = [];
    const result = await runFitnesse({
      page: expected.suite,
      dir: wiki,
      cwd: fixtures,
      report: join(wiki, 'junit-all.xml'),
      out: (l) => lines.push(l),
    });
    assert.deepEqual(
      result.pages.map((p) => p.page),
      [...fitnesse.keys()],
      'the same pages, in the same order',
    );
    assert.deepEqual(testPages(new Wiki(join(wiki, 'FitNesseRoot')), expected.suite), [...fitnesse.keys()]);
    const differ: string[] = [];
    for (const p of result.pages) {
      if (JSON.stringify(p.counts) !== JSON.stringify(fitnesse.get(p.page)))
        differ.push(
          `${p.page}: roc fitnesse ${JSON.stringify(p.counts)}, FitNesse ${JSON.stringify(fitnesse.get(p.page))}`,
        );
      if (p.rest) differ.push(`${p.page}: its tables do not add up to FitNesse's counts: ${JSON.stringify(p.rest)}`);
    }
    assert.deepEqual(differ, [], `${differ.join('\n')}\n${lines.join('\n')}`);
  },
);
