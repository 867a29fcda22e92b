/** roc lab tells the truth: the agent answering is the one it started, or it says what is there instead. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isRunning,
  labDown,
  labStateFile,
  labStatus,
  labUp,
  LabStartError,
  readLabState,
} from '../../src/lab/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { example, fixture, freePort, rejection, startAgentProcess } from '../helpers.js';

async function labOf(guests: Record<string, string>): Promise<{ file: string; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'roc-lab-truth-'));
  const port = await freePort();
  writeTokenFile(join(dir, '.roc', 'token'));
  const file = join(dir, 'roc.yml');
  writeFileSync(
    file,
    [
      `defaults: { port: ${port}, token_file: .roc/token }`,
      'guests:',
      ...Object.entries(guests).map(([n, g]) => `  ${n}: ${g}`),
      '',
    ].join('\n'),
  );
  return { file, port };
}

describe('roc lab tells the truth', () => {
  test("another agent on a guest's address: lab up fails naming the guest and what holds it; status and down never take it for ours", async () => {
    const { file, port } = await labOf({
      web1: `{ host: 127.0.1.81, modules: [${example('remote_class.js')}] }`,
      web2: `{ host: 127.0.1.82, modules: [${example('remote_class.js')}] }`,
    });
    const stray = await startAgentProcess(['-p', String(port), '--host', '127.0.1.82']);
    try {
      const err = await rejection(labUp({ topology: file }));
      assert.ok(err instanceof LabStartError);
      assert.deepEqual(err.guests, ['web2']);
      const ours = readLabState(file)!.guests.find((g) => g.name === 'web2')!.pid;
      assert.match(
        err.message,
        new RegExp(
          `^the lab's agents did not all come up \\(the others are left running; roc lab down stops them\\):\\n  web2: its agent \\(pid ${ours}\\) exited at once \\(exit code 1\\); another agent \\(pid ${stray.child.pid}\\) answers on 127\\.0\\.1\\.82:${port}: stop it \\(kill ${stray.child.pid}, or roc lab down with its topology\\) and run roc lab up again\\n    \\| roc-agent: cannot listen on 127\\.0\\.1\\.82:${port}: the port is already in use`,
        ),
      );
      const status = await labStatus({ topology: file });
      const web2 = status.find((s) => s.name === 'web2')!;
      assert.equal(web2.state, 'foreign');
      assert.equal(web2.running, false);
      assert.equal(web2.answeredBy, stray.child.pid);
      assert.equal(
        web2.error,
        `another agent (pid ${stray.child.pid}) answers on 127.0.1.82:${port}; this lab's (pid ${ours}) is not running`,
      );
      assert.equal(status.find((s) => s.name === 'web1')!.state, 'up');
      const down = await labDown({ topology: file });
      assert.ok(down.includes(`web2: its agent (pid ${ours}) was not running`), down.join('\n'));
      assert.ok(isRunning(stray.child.pid!), 'lab down leaves an agent it did not start alone');
    } finally {
      stray.child.kill();
      await stray.exited;
      await labDown({ topology: file });
    }
  });

  test('an agent that exits at once (a module that does not load) is reported at once, with its log and the line at fault', async () => {
    const { file } = await labOf({ web1: `{ host: 127.0.1.83, modules: [${fixture('bad/typo.mjs')}] }` });
    try {
      const err = await rejection(labUp({ topology: file }));
      const pid = readLabState(file)!.guests[0]!.pid;
      assert.equal(
        err.message,
        [
          "the lab's agents did not all come up (the others are left running; roc lab down stops them):",
          `  web1: its agent (pid ${pid}) exited at once (exit code 1)`,
          `    | roc-agent: module ${fixture('bad/typo.mjs')} threw while loading: SyntaxError: Unexpected number`,
          `    |   at ${fixture('bad/typo.mjs')}:3:11`,
          '    |     3 | let x = 1 2;',
          '    |       |           ^',
        ].join('\n'),
      );
    } finally {
      await labDown({ topology: file });
    }
  });

  test("a pid in the state file that is dead, or now another program's, is never taken for the agent", async () => {
    const { file, port } = await labOf({ web1: '{ host: 127.0.1.84 }' });
    await labUp({ topology: file });
    const stateFile = labStateFile(file);
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const real = state.guests[0].pid as number;
    try {
      // The state now names this test's own process: alive, but not web1's agent.
      state.guests[0].pid = process.pid;
      writeFileSync(stateFile, JSON.stringify(state));
      const [s] = await labStatus({ topology: file });
      assert.equal(s!.running, false);
      assert.equal(s!.state, 'foreign');
      assert.equal(
        s!.error,
        `another agent (pid ${real}) answers on 127.0.1.84:${port}; this lab's (pid ${process.pid}) is not running`,
      );
      const down = await labDown({ topology: file });
      assert.deepEqual(down, [
        `web1: pid ${process.pid} is no longer its agent (another program has that pid now); left alone`,
      ]);
    } finally {
      process.kill(real, 'SIGTERM');
    }
  });
});
