import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../src/version.js';
import { installPackedPackage, repoRoot } from './helpers.js';

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

describe('an installed roc-toolkit (npm pack, unpacked into a project)', () => {
  let app: string;
  let roc: string;
  before(() => {
    ({ app, roc } = installPackedPackage());
  });

  test('it ships no token, no lab state and no compiled Python', () => {
    const files = execFileSync(
      'find',
      [join(app, 'node_modules', 'roc-toolkit'), '-name', '.roc', '-o', '-name', 'token', '-o', '-name', '__pycache__'],
      { encoding: 'utf8' },
    );
    assert.equal(files.trim(), '');
  });

  test('a TypeScript project type-checks against it: roc-toolkit and roc-toolkit/fixtures, no sources needed', () => {
    writeFileSync(join(app, 'package.json'), '{ "type": "module", "private": true }\n');
    writeFileSync(
      join(app, 'check.ts'),
      [
        "import { serverProxy, remoteModule, type GuestLibrary } from 'roc-toolkit';",
        "import { GuestCommand, HttpCheck } from 'roc-toolkit/fixtures';",
        'const run: GuestLibrary["command"]["run"] = async () => { throw new Error("types only"); };',
        'const cmd = new GuestCommand("web1");',
        'const ok: Promise<boolean> = cmd.run("true");',
        'const status: Promise<number> = new HttpCheck().status();',
        'void [serverProxy, remoteModule, run, ok, status];',
        '',
      ].join('\n'),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--target',
        'ES2022',
        '--types',
        'node',
        '--typeRoots',
        join(repoRoot, 'node_modules', '@types'),
        '--skipLibCheck',
        'check.ts',
      ],
      { cwd: app, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // Source maps carry their sources: the package ships no src/, and a stack trace still maps to a line.
    const map = JSON.parse(
      readFileSync(join(app, 'node_modules', 'roc-toolkit', 'dist', 'src', 'client', 'server-proxy.js.map'), 'utf8'),
    );
    assert.equal(map.sourcesContent?.length, map.sources.length);
  });

  test('npx roc quickstart runs from it', () => {
    const out = execFileSync(process.execPath, [roc, 'quickstart'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    assert.match(out, /proxy\.shutdown\(\)\s+-> agent exited with code 0/);
  });

  test("npx roc demo runs from it (node's test runner: the package has no FitNesse of its own)", () => {
    const out = execFileSync(process.execPath, [roc, 'demo', '--report', join(app, 'junit.xml')], {
      cwd: app,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.match(out, /checked by node's test runner \((no FitNesse jar here|no Java here)\)/);
    assert.match(out, /summary: all green/);
    assert.match(out, /lab: down; nothing left running/);
  });
});
