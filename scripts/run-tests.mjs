// Runs every compiled test file under node's test runner. Tiers: `npm test`
// runs dist/test (unit, integration, interop); heavier tiers are separate
// scripts run by .ci/run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, suffix) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...find(full, suffix));
    else if (name.endsWith(suffix)) out.push(full);
  }
  return out;
}

// --e2e runs the end-to-end tier (*.e2e.js: booted guests, as root) instead of the tests.
const e2e = process.argv.includes('--e2e');
const filter = process.argv.slice(2).filter((a) => a !== '--e2e');
const root = 'dist/test';
let files = find(root, e2e ? '.e2e.js' : '.test.js');
if (filter.length) files = files.filter((f) => filter.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error(`no test files found under ${root}${filter.length ? ` matching ${filter.join(' ')}` : ''}; run npm run build first`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--expose-gc', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
