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

// A tier flag picks other files instead of the tests (*.test.js): --e2e the
// end-to-end tier (*.e2e.js: booted guests, as root), --vagrant the Vagrant
// tier (*.vagrant.js: a real vagrant up, as root), --conformance FitNesse's
// own SLIM acceptance pages against roc slim (*.conformance.js), --soak the
// load and leak checks (*.soak.js: minutes of calls against one agent).
const TIERS = {
  '--e2e': '.e2e.js',
  '--vagrant': '.vagrant.js',
  '--conformance': '.conformance.js',
  '--soak': '.soak.js',
};
// No test may hang a run: each gets a deadline well above its slowest
// honest run on a loaded 2-core machine (a Vagrant cluster boots in ~1 min).
const TIMEOUT_MS = { '--e2e': 600_000, '--vagrant': 1_200_000, '--conformance': 600_000, '--soak': 900_000 };
const tier = process.argv.slice(2).find((a) => a in TIERS);
const filter = process.argv.slice(2).filter((a) => !(a in TIERS));
const root = 'dist/test';
let files = find(root, tier ? TIERS[tier] : '.test.js');
if (filter.length) files = files.filter((f) => filter.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error(
    `no test files found under ${root}${filter.length ? ` matching ${filter.join(' ')}` : ''}; run npm run build first`,
  );
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--expose-gc', '--test', `--test-timeout=${tier ? TIMEOUT_MS[tier] : 180_000}`, '--test-reporter=spec', ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
