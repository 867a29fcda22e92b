/** What the CLIs say in the first hour: exact messages for what goes wrong, and output for scripts. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from '../../src/agent/index.js';
import { SlimExecutor } from '../../src/slim/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { VERSION } from '../../src/version.js';
import { agentBin, example, fixture, freePort, repoRoot } from '../helpers.js';

const execFileAsync = promisify(execFile);
const rocBin = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');

async function run(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], {
      timeout: 30_000,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('roc ping', () => {
  let agent: Agent;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roc-ping-'));
    writeTokenFile(join(dir, 'agent-token'));
    writeTokenFile(join(dir, 'other-token'));
    agent = await Agent.start({
      modules: [example('remote_class.js')],
      port: 0,
      token: (await import('node:fs')).readFileSync(join(dir, 'agent-token'), 'utf8').trim(),
    });
  });
  after(() => agent.close(100));

  test('a guest that refuses the token is REFUSED, not DOWN, and the message names the token_file the host used', async () => {
    const file = join(dir, 'roc.yml');
    writeFileSync(
      file,
      `guests:\n  web1: { host: 127.0.0.1, port: ${agent.port}, token_file: other-token }\n  web2: { host: localhost, port: ${agent.port} }\n`,
    );
    const r = await run(rocBin, ['ping', '-t', file], { ROC_TOKEN: '' });
    assert.equal(r.code, 1);
    const lines = r.stdout.split('\n');
    assert.match(
      lines[1]!,
      new RegExp(
        `^web1\\s+127\\.0\\.0\\.1:${agent.port}\\s+REFUSED\\s+-\\s+-\\s+ping on guest web1 \\(127\\.0\\.0\\.1:${agent.port}\\) was refused with HTTP 401: wrong token; the agent refused the token from token_file ${join(dir, 'other-token')} \\(topology ${file}\\): it is not the agent's token`,
      ),
    );
    assert.match(
      lines[2]!,
      /^web2\s+\S+\s+REFUSED\s+.*HTTP 401: this agent needs a token: .*; no token was sent: set token_file in the topology, or ROC_TOKEN, or serverProxy's token or tokenFile option$/,
    );
  });

  test('--json gives one object per guest, named as roc lab status --json names it', async () => {
    const file = join(dir, 'roc-ok.yml');
    writeFileSync(file, `guests:\n  web1: { host: 127.0.0.1, port: ${agent.port}, token_file: agent-token }\n`);
    const r = await run(rocBin, ['ping', '--json', '-t', file]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    assert.deepEqual(Object.keys(rows[0]!), [
      'name',
      'endpoint',
      'state',
      'version',
      'rttMs',
      'modules',
      'error',
      'source',
    ]);
    assert.equal(rows[0]!.state, 'up');
    assert.equal(rows[0]!.version, VERSION);
    assert.deepEqual(rows[0]!.modules, [example('remote_class.js')]);
  });
});

describe('roc lab status --json', () => {
  test('one object per guest, with the pid it started and the pid that answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-lab-json-'));
    writeTokenFile(join(dir, '.roc', 'token'));
    const file = join(dir, 'roc.yml');
    writeFileSync(
      file,
      `defaults: { port: ${await freePort()}, token_file: .roc/token }\nguests:\n  web1: { host: 127.0.1.85 }\n`,
    );
    assert.equal((await run(rocBin, ['lab', 'up', '-t', file])).code, 0);
    try {
      const r = await run(rocBin, ['lab', 'status', '--json', '-t', file]);
      assert.equal(r.code, 0, r.stderr);
      const [row] = JSON.parse(r.stdout) as Record<string, unknown>[];
      assert.deepEqual(Object.keys(row!), [
        'name',
        'endpoint',
        'pid',
        'running',
        'reachable',
        'answeredBy',
        'state',
        'error',
        'log',
      ]);
      assert.equal(row!.state, 'up');
      assert.equal(row!.answeredBy, row!.pid);
    } finally {
      await run(rocBin, ['lab', 'down', '-t', file]);
    }
  });
});

describe('the CLIs tell what they are', () => {
  test('roc --version and roc-agent --version print the version', async () => {
    assert.equal((await run(rocBin, ['--version'])).stdout, `${VERSION}\n`);
    assert.equal((await run(agentBin, ['--version'])).stdout, `${VERSION}\n`);
  });

  test('roc fitnesse --log-lines takes a whole number, and says so before anything runs', async () => {
    const r = await run(rocBin, ['fitnesse', 'ClusterSuite', '--log-lines', 'many']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'roc fitnesse: --log-lines takes a whole number of lines (0: none), got "many"\n');
  });

  test('roc-agent --help shows the serve options, which work without the word serve', async () => {
    const { stdout } = await run(agentBin, ['--help']);
    assert.match(stdout, /With no command, roc-agent serves \(roc-agent -m <module> -p <port> \.\.\.\):/);
    for (const option of [
      '-m, --module <path>',
      '-p, --port <port>',
      '--token-file <file>',
      '--lease-ttl <ms>',
      '--call-timeout <ms>',
    ])
      assert.ok(stdout.includes(option), option);
  });
});

describe('modules that do not load say where', () => {
  for (const [name, line, column, code] of [
    ['typo.mjs', 3, 11, 'let x = 1 2;'],
    ['typo.cjs', 4, 12, 'const y = {;'],
  ] as const) {
    test(`a syntax error in ${name.endsWith('.mjs') ? 'an ES module' : 'a CommonJS module'}: file, line, column and the line itself`, async () => {
      const r = await run(agentBin, ['-m', fixture(`bad/${name}`), '-p', '0']);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        [
          `roc-agent: module ${fixture(`bad/${name}`)} threw while loading: SyntaxError: Unexpected ${name.endsWith('.mjs') ? 'number' : "token ';'"}`,
          `  at ${fixture(`bad/${name}`)}:${line}:${column}`,
          `    ${line} | ${code}`,
          `      | ${' '.repeat(column - 1)}^`,
          '',
        ].join('\n'),
      );
    });
  }

  test('roc slim: an import of such a module is an exception naming the file and line', async () => {
    const executor = new SlimExecutor({ cwd: repoRoot });
    const [[, result]] = (await executor.execute([['i1', 'import', 'test/fixtures/bad/typo.mjs']])) as [
      [string, string],
    ];
    assert.match(
      result!,
      /^__EXCEPTION__:.*module \S+test\/fixtures\/bad\/typo\.mjs threw while loading: SyntaxError: Unexpected number\n {2}at \S+typo\.mjs:3:11/,
    );
  });

  test('a served name that a built-in would shadow is refused at start, saying which and what to do', async () => {
    const file = fixture('shadow/builtins.mjs');
    const r = await run(agentBin, ['-m', file, '-p', '0']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      [
        `roc-agent: ${file} exports a function named ping, which is a built-in method of the agent (ping() -> agent version, boot id, pid, hostname, uptime, modules, classes, live objects, leases and calls under way); rename it`,
        `${file} exports a class named system, whose static methods would meet the agent's own system.* methods; rename it`,
        '',
      ].join('\n'),
    );
  });
});
