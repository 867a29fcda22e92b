/** The lab from code (lab.up/status/down), and two topologies' labs in one folder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from '../../src/index.js';
import { isRunning, labLogFile, labStateFile } from '../../src/lab/index.js';
import { example, freePort, rejection } from '../helpers.js';

async function folderWithTwoTopologies(): Promise<{ a: string; b: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'roc-lab-api-'));
  const [pa, pb] = [await freePort(), await freePort()];
  const a = join(dir, 'roc.yml');
  const b = join(dir, 'roc.other.yml');
  writeFileSync(
    a,
    `defaults: { port: ${pa} }\nguests:\n  n1: { host: 127.0.1.91, modules: [${example('remote_class.js')}] }\n`,
  );
  writeFileSync(b, `defaults: { port: ${pb} }\nguests:\n  n1: { host: 127.0.1.92 }\n  n2: { host: 127.0.1.93 }\n`);
  return { a, b };
}

test('lab.up gives the loaded topology; status and down; two topologies in one folder are two labs', async () => {
  const { a, b } = await folderWithTwoTopologies();
  const lines: string[] = [];
  let pids: number[];
  {
    await using first = await lab.up(a, { log: (l) => lines.push(l) });
    await using second = await lab.up(b);
    assert.equal(first.file, a);
    assert.equal(first.topology.guest('n1').address, '127.0.1.91');
    const inst = await first.topology.guest('n1').module.RemoteClass!(1, 2, 3);
    assert.equal(await inst.add(2, 3), 5);
    assert.deepEqual(
      (await second.topology.guests().ping()).outcomes.map((o) => o.guest),
      ['n1', 'n2'],
    );
    // Each lab its own state and its own logs, though both have a guest n1.
    assert.notEqual(labStateFile(a), labStateFile(b));
    assert.equal(first.state.guests[0]!.log, labLogFile(a, 'n1'));
    assert.equal(second.state.guests[0]!.log, labLogFile(b, 'n1'));
    assert.deepEqual(
      (await lab.status(a)).map((s) => [s.name, s.state]),
      [['n1', 'up']],
    );
    assert.deepEqual(
      (await lab.status(b)).map((s) => [s.name, s.state]),
      [
        ['n1', 'up'],
        ['n2', 'up'],
      ],
    );
    // Down of one leaves the other up; down again does nothing more.
    const stopped = second.state.guests.map((g) => `stopped ${g.name} (pid ${g.pid})`);
    assert.deepEqual((await second.down()).sort(), stopped, 'down says what it stopped');
    assert.deepEqual((await second.down()).sort(), stopped, 'down twice is down once');
    assert.equal((await lab.status(a))[0]!.state, 'up');
    pids = [...first.state.guests, ...second.state.guests].map((g) => g.pid);
  }
  // await using stopped the first lab at the end of its block.
  assert.ok(
    pids.every((p) => !isRunning(p)),
    'no agent left',
  );
  assert.equal(existsSync(labStateFile(a)), false);
  assert.match(lines.join('\n'), /started n1 on 127\.0\.1\.91/);
  assert.ok(readFileSync(labLogFile(a, 'n1'), 'utf8').length > 0);
});

test('status of a lab that is down reads its state and asks nothing', async () => {
  const { a } = await folderWithTwoTopologies();
  const [row] = await lab.status(a);
  assert.deepEqual(
    { ...row, endpoint: undefined },
    {
      name: 'n1',
      endpoint: undefined,
      pid: null,
      running: false,
      reachable: false,
      answeredBy: null,
      state: 'down',
      error: `the lab is not up (no state for ${a}): roc lab up -t ${a}`,
      log: null,
    },
  );
  const missing = await rejection(lab.up(join(a, '..', 'nope.yml')));
  assert.match(missing.message, /nope\.yml/);
});
