import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../src/version.js';
import { repoRoot } from './helpers.js';

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  assert.equal(VERSION, pkg.version);
});

test("import { serverProxy, remoteModule } from 'roc-toolkit' works through the package's exports", async () => {
  const mod = await import('roc-toolkit');
  assert.equal(typeof mod.serverProxy, 'function');
  assert.equal(typeof mod.remoteModule, 'function');
  assert.equal(typeof mod.RemoteError, 'function');
  const agent = await import('roc-toolkit/agent');
  assert.equal(typeof agent.startAgent, 'function');
});
