/** Remote fixtures (`guest.Class`) as SLIM answers them: the guest, what it serves, and what to fix, in the cell. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../src/agent/index.js';
import { loadTopology, type Topology } from '../../src/index.js';
import { SlimExecutor } from '../../src/slim/index.js';
import { example, repoRoot } from '../helpers.js';

let agent: Agent;
let topology: Topology;
let file: string;

before(async () => {
  agent = await Agent.start({ modules: [example('remote_class.js')], port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'roc-slim-remote-'));
  file = join(dir, 'roc.yml');
  writeFileSync(file, `guests:\n  web1: { host: 127.0.0.1, port: ${agent.port} }\n`);
  topology = loadTopology(file);
});
after(async () => {
  topology.close();
  await agent.close(100);
});

async function run(
  statements: unknown[][],
  topo: () => Topology | undefined = () => topology,
): Promise<Record<string, string>> {
  const executor = new SlimExecutor({ cwd: repoRoot, topology: topo });
  const results = await executor.execute(statements as never);
  return Object.fromEntries(results.map((r) => [(r as string[])[0], (r as string[])[1]]));
}

describe('remote fixtures: what FitNesse shows in the cell', () => {
  test('a class the guest does not serve: the guest, its address and the classes it serves', async () => {
    const r = await run([['m', 'make', 'x', 'web1.Nope']]);
    assert.equal(
      r.m,
      `__EXCEPTION__:message:<<Could not find class web1.Nope: guest web1 (127.0.0.1:${agent.port}) serves Point, RemoteClass (NO_CLASS)>>`,
    );
  });

  test('a method the remote class lacks: NO_METHOD_IN_CLASS (which FitNesse skips for optional table methods) with the methods it has', async () => {
    const r = await run([
      ['m', 'make', 'x', 'web1.RemoteClass', '1', '2', '3'],
      ['c', 'call', 'x', 'nosuch'],
    ]);
    assert.equal(r.m, 'OK');
    assert.match(
      r.c!,
      new RegExp(
        `^__EXCEPTION__:message:<<Method nosuch\\[0\\] not found in web1\\.RemoteClass: on guest web1 \\(127\\.0\\.0\\.1:${agent.port}\\) RemoteClass has [a-z, ]*add[a-z, ]* \\(NO_METHOD_IN_CLASS\\)>>$`,
      ),
    );
  });

  test('a guest the topology does not have: says so, with the topology and its guests', async () => {
    const r = await run([['m', 'make', 'x', 'web9.RemoteClass']]);
    assert.equal(
      r.m,
      `__EXCEPTION__:message:<<Could not find class web9.RemoteClass: web9 is not a guest of the topology ${file} (its guests: web1); no import has it (nothing imported) (NO_CLASS)>>`,
    );
  });

  test('a topology that does not load: its problem, with file and line, instead of a bare NO_CLASS', async () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'roc-slim-broken-')), 'roc.yml');
    writeFileSync(broken, 'guests:\n  web1: { hots: 127.0.0.1 }\n');
    const r = await run([['m', 'make', 'x', 'web1.RemoteClass']], () => loadTopology(broken));
    assert.match(
      r.m!,
      new RegExp(
        `^__EXCEPTION__:message:<<Could not find class web1\\.RemoteClass: web1 may be a guest, but the topology did not load: ${broken}:2: guests\\.web1\\.hots: unknown key`,
      ),
    );
  });

  test('a remote exception: the guest, the class and method, and the remote message and stack, shown under the row', async () => {
    const r = await run([
      ['m', 'make', 'x', 'web1.RemoteClass', '1', '2', '3'],
      ['c', 'call', 'x', 'boom', 'bad thing'],
    ]);
    assert.match(
      r.c!,
      /^__EXCEPTION__:RemoteFixtureError: web1 RemoteClass\.boom: ValueError: bad thing\n {4}at RemoteClass\.boom on web1\n {4}--- remote stack on web1 ---\n/,
    );
  });
});
