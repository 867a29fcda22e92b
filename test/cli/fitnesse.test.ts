import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers.js';

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
  test('a green suite: every page and table, the summary, a JUnit report, exit 0', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'roc-fitnesse-')), 'junit.xml');
    const { code, out } = await rocFitnesse(['RocSlim.Green', '-d', 'test/fitnesse', '--report', report]);
    assert.equal(code, 0, out);
    assert.match(out, /^▶ RocSlim\.Green\.Chaining\n {4}✔ table 1 \(import\)/m);
    assert.match(out, /\nsummary: 13 pages, \d+ tables: \d+ right, 0 wrong, 0 exceptions — all green\nJUnit report: /);
    assert.match(
      readFileSync(report, 'utf8'),
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="RocSlim\.Green" tests="\d+" failures="0"/,
    );
  });

  test('a failing page: the failed table and its message, exit 1', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'roc-fitnesse-')), 'junit.xml');
    const { code, out } = await rocFitnesse(['RocSlim.Stops.StopTest', '-d', 'test/fitnesse', '--report', report]);
    assert.equal(code, 1, out);
    assert.match(
      out,
      /✖ table 2 \(script: TestSlim\)\s+2 right, \d wrong, \d exceptions, 1 ignored\n {8}throwStopping\(\): StopTestException: This is a stop test exception\n/,
    );
    assert.match(out, /summary: 1 page, 3 tables: 4 right, \d wrong, \d exceptions — 1 table failed\nJUnit report: \//);
    assert.match(readFileSync(report, 'utf8'), /failures="1"/);
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
    assert.match(out, /✔ table 2 \(script: EchoScript\)\s+2 right, 0 wrong, 0 exceptions/);
    assert.ok(existsSync(join(dir, 'junit.xml')));
    assert.ok(!existsSync(join(dir, 'FitNesseRoot', 'files')), 'FitNesse ran on a copy of the wiki');
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
