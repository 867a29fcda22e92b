import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { AGENT_NODE_FLAGS } from '../../src/protocol/index.js';
import { repoRoot } from '../helpers.js';

// The layers are checked by the build and the linter; these tests show each
// check failing on purpose, so that a check that passes everything is seen.

test('the agent bundle build fails, naming the file, when the guest code imports host code', () => {
  const probe = join(repoRoot, 'src', 'agent', `layer-probe-${process.pid}.ts`);
  const out = mkdtempSync(join(tmpdir(), 'roc-bundle-'));
  writeFileSync(probe, "import { serverProxy } from '../client/index.js';\nexport const leak = serverProxy;\n");
  try {
    const r = spawnSync(
      process.execPath,
      ['scripts/bundle-agent.mjs', '--entry', probe, '--out', join(out, 'roc-agent.js')],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /the agent bundle would carry host code: .*src\/client\/server-proxy\.ts/);
    assert.match(r.stderr, /guests get src\/agent, src\/wire, src\/protocol, src\/guestlib, src\/modules/);
  } finally {
    rmSync(probe, { force: true });
    rmSync(out, { recursive: true, force: true });
  }
  // And the real entry builds: the check is not failing everything.
  const real = spawnSync(process.execPath, ['scripts/bundle-agent.mjs', '--out', join(out, 'real.js')], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  rmSync(out, { recursive: true, force: true });
  assert.equal(real.status, 0, real.stderr);
});

test('the linter refuses an import against the layers, and accepts the same import where the layers allow it', async () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const text = "import { serverProxy } from '../client/index.js';\nexport const p = serverProxy;\n";
  // Real files (the typed lint rules need them in the project), removed after.
  const lint = async (folder: string): Promise<string[]> => {
    const file = join(repoRoot, 'src', folder, `layer-probe-${process.pid}.ts`);
    writeFileSync(file, text);
    try {
      const [result] = await eslint.lintFiles([file]);
      return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
    } finally {
      rmSync(file, { force: true });
    }
  };
  const inWire = await lint('wire');
  assert.ok(
    inWire.some((m) =>
      /no-restricted-imports: .*wire is XML-RPC over HTTP and imports nothing of ROC \(src\/wire must not import src\/client\)/.test(
        m,
      ),
    ),
    inWire.join('\n'),
  );
  const inAgent = await lint('agent');
  assert.ok(
    inAgent.some((m) => /src\/agent must not import src\/client/.test(m)),
    inAgent.join('\n'),
  );
  const inTopology = await lint('topology');
  assert.deepEqual(
    inTopology.filter((m) => m.includes('restricted')),
    [],
  );
});

test("the systemd unit starts node with the agent's flags, as the lab and the tests do", () => {
  const unit = readFileSync(join(repoRoot, 'provisioning', 'roc-agent.service'), 'utf8');
  const exec = /^ExecStart=\/usr\/bin\/env node (.*) \/opt\/roc\/roc-agent\.js serve/m.exec(unit);
  assert.ok(exec, 'ExecStart line');
  assert.deepEqual(exec[1]!.split(' '), [...AGENT_NODE_FLAGS]);
});
