import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModules, ModuleLoadError } from '../../src/agent/index.js';
import { fixture } from '../helpers.js';

test('a directory serves every module in it, nested ones included', async () => {
  const served = await loadModules([fixture('dir')]);
  assert.deepEqual([...served.classes.keys()].sort(), ['One', 'Two']);
  assert.equal(served.files.length, 2);
});

test('CommonJS modules and old-style constructors are served as classes', async () => {
  const served = await loadModules([fixture('legacy.cjs')]);
  assert.deepEqual([...served.classes.keys()].sort(), ['Legacy', 'OldStyle']);
});

test('exported functions are served apart from classes', async () => {
  const served = await loadModules([fixture('edge_cases.js')]);
  assert.deepEqual([...served.classes.keys()].sort(), ['Account', 'Card', 'Careless', 'Exploding']);
  assert.deepEqual([...served.functions.keys()].sort(), ['delayedEcho', 'sum']);
});

test('a missing module names the path and what to pass', async () => {
  await assert.rejects(loadModules(['no/such/module.js']), (err: unknown) => {
    assert.ok(err instanceof ModuleLoadError);
    assert.match(
      err.message,
      /^module not found: \/.*no\/such\/module\.js \(given as -m no\/such\/module\.js\); pass a \.js, \.mjs or \.cjs file, or a directory of them$/,
    );
    return true;
  });
});

test('a module that throws on import names the file and the error', async () => {
  await assert.rejects(loadModules([fixture('throws_on_import.js')]), (err: unknown) => {
    assert.ok(err instanceof ModuleLoadError);
    assert.match(
      err.message,
      /^module \/.*throws_on_import\.js threw while loading: Error: this module refuses to load/,
    );
    return true;
  });
});

test('one name exported by two files is an error naming both', async () => {
  await assert.rejects(
    loadModules([fixture('dir'), fixture('collide.js')]),
    /^ModuleLoadError: One is exported by both \/.*one\.js and \/.*collide\.js; rename one or serve only one of the modules$|One is exported by both .*one\.js and .*collide\.js/,
  );
});

test('TypeScript sources are refused with a hint', async () => {
  await assert.rejects(
    loadModules([fixture('../helpers.ts')]),
    /only \.js, \.mjs and \.cjs modules can be loaded \(compile TypeScript first\)/,
  );
});

test('ES module syntax in a .js file Node reads as CommonJS: the message says how to fix it', async () => {
  await assert.rejects(loadModules([fixture('esm-in-cjs/plain.js')]), (err: unknown) => {
    assert.ok(err instanceof ModuleLoadError);
    assert.match(
      err.message,
      /^module \/.*plain\.js threw while loading; it uses ES module syntax, but Node reads this \.js file as CommonJS: rename it \.mjs, or put a package\.json with "type": "module" beside it\n/,
    );
    return true;
  });
});
