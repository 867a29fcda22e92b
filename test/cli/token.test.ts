import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

const roc = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');

test('roc token writes a token once, keeps it when run again (set -e scripts go on), and --force replaces it', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'roc-token-'));
  const run = (...args: string[]): string =>
    execFileSync(process.execPath, [roc, 'token', ...args], { cwd, encoding: 'utf8' });
  assert.match(run(), /^wrote a new token to \.roc\/token \(mode 0600\)/);
  const first = readFileSync(join(cwd, '.roc', 'token'), 'utf8');
  assert.equal(statSync(join(cwd, '.roc', 'token')).mode & 0o777, 0o600);
  assert.equal(run(), 'kept the token in .roc/token, there already (--force writes a new one)\n');
  assert.equal(readFileSync(join(cwd, '.roc', 'token'), 'utf8'), first, 'the token agents use is kept');
  assert.match(run('--force'), /^wrote a new token/);
  assert.notEqual(readFileSync(join(cwd, '.roc', 'token'), 'utf8'), first);
});
