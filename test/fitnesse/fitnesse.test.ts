import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labUp } from '../../src/lab/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { freePort, repoRoot } from '../helpers.js';

const execFileAsync = promisify(execFile);
const jar = join(repoRoot, 'node_modules', 'fitnesse', 'fitnesse-standalone.jar');
const why = spawnSync('java', ['-version']).status !== 0 ? 'java is not on this machine (CI installs a JRE)' : false;
if (why) console.log(`# SKIP FitNesse acceptance: ${why}`);

let root: string;

/** Runs FitNesse on a copy of test/fitnesse (FitNesse writes into its root) and returns its output and exit code. */
async function fitnesse(command: string, env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const slimPort = await freePort();
  const webPort = await freePort();
  try {
    const { stdout } = await execFileAsync(
      'java',
      ['-jar', jar, '-d', root, '-p', String(webPort), '-o', '-c', command],
      {
        cwd: repoRoot,
        env: { ...process.env, ROC_SLIM_PORT: String(slimPort), ...env },
        timeout: 180_000,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}\n${e.stderr}` };
  }
}

/** The text of the cells FitNesse marked fail or error, and of the exception details it shows under a row, from format=xml. */
function failedCells(xml: string): string[] {
  const text = xml
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  return [...text.matchAll(/<tr[^>]*>(.*?)<\/tr>/gs)]
    .filter((m) => /class="(fail|error)"/.test(m[1]!) || /^<tr class="exception-detail/.test(m[0]!))
    .map((m) =>
      m[1]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    );
}

describe('the real FitNesse (20150814) drives roc slim', { skip: why }, () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'roc-fitnesse-'));
    cpSync(join(repoRoot, 'test', 'fitnesse', 'FitNesseRoot'), join(root, 'FitNesseRoot'), { recursive: true });
  });

  test('every table type, symbols, chaining, libraries, multi-byte text and a 1,000,009-character string pass', async (t) => {
    const { code, out } = await fitnesse('RocSlim.Green?suite&format=text');
    for (const line of out.split('\n').filter((l) => /^[.FX] /.test(l))) t.diagnostic(line);
    assert.match(out, /13 Tests,\s+0 Failures/);
    assert.equal(code, 0, out);
  });

  test('a stop exception ends the test where it was thrown; an ordinary one does not', async () => {
    const { code, out } = await fitnesse('RocSlim.Stops?suite&format=text');
    assert.notEqual(code, 0);
    assert.match(out, /R:1\s+W:0\s+I:0\s+E:1\s+StopTest/, 'nothing after the stop runs');
    assert.match(out, /R:2\s+W:0\s+I:0\s+E:1\s+NormalException/, 'the row after an ordinary exception runs');
  });

  describe('remote fixtures on a local lab', () => {
    let dir: string;
    let topology: string;
    let agentPort: number;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'roc-fitnesse-lab-'));
      agentPort = await freePort();
      writeTokenFile(join(dir, '.roc', 'token'));
      topology = join(dir, 'roc.yml');
      writeFileSync(
        topology,
        [
          `defaults: { port: ${agentPort}, token_file: .roc/token, modules: [${join(repoRoot, 'test', 'fitnesse', 'remote', 'remote_fixtures.js')}] }`,
          'guests:',
          '  web1: { host: 127.0.1.21, roles: [remote] }',
          '  web2: { host: 127.0.1.22, roles: [remote] }',
          '',
        ].join('\n'),
      );
      await labUp({ topology });
    });
    after(() => labDown({ topology }));

    const env = (): Record<string, string> => ({
      ROC_TOPOLOGY: topology,
      ROC_AGENT_PORT: String(agentPort),
      ROC_LAB_DIR: dir,
    });

    test('guest.Class tables and the host fixture library pass', async (t) => {
      const { code, out } = await fitnesse('RocSlim.Remote?suite&format=text', env());
      for (const line of out.split('\n').filter((l) => /^[.FX] /.test(l))) t.diagnostic(line);
      assert.match(out, /3 Tests,\s+0 Failures/);
      assert.equal(code, 0, out);
    });

    test('a failing remote check shows expected and actual; a remote exception names guest, class and message', async () => {
      const { out } = await fitnesse('RocSlim.RemoteFailures.WrongTotal?test&format=xml', env());
      const cells = failedCells(out);
      assert.ok(
        cells.some((c) => /check total \[10\] expected \[999\]/.test(c)),
        cells.join('\n'),
      );
      assert.ok(
        cells.some((c) => /RemoteFixtureError: web1 RemoteCounter\.boom: RangeError: the guest says no/.test(c)),
        cells.join('\n'),
      );
    });
  });
});
