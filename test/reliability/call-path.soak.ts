/**
 * The call path stays at its floor, counted in instructions (valgrind's
 * callgrind), which a busy machine does not change: a small call, ROC's
 * client and agent together, against the leanest node:http client and a
 * server that answers fixed bytes (bench/instructions.mjs, which
 * `npm run bench -- --instructions` runs with longer warm-ups).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hasCommand, repoRoot } from '../helpers.js';

interface Counts {
  client: number;
  server: number;
}

test(
  'a small call costs at most 1.3x the floor in instructions, client and agent together',
  { skip: hasCommand('valgrind') ? false : 'valgrind is not installed (apt-get install valgrind)' },
  async () => {
    const bench = (await import(pathToFileURL(join(repoRoot, 'bench', 'instructions.mjs')).href)) as {
      countInstructions: (plan: Record<string, { warmup: number; n: number }>) => Promise<Record<string, Counts>>;
    };
    const counts = await bench.countInstructions({ small: { warmup: 3000, n: 1000 } });
    const both = (c: Counts): number => c.client + c.server;
    const roc = counts['small roc']!;
    const floor = counts['small floor']!;
    const ratio = both(roc) / both(floor);
    const shown = (c: Counts): string => `client ${Math.round(c.client)}, server ${Math.round(c.server)}`;
    assert.ok(ratio <= 1.3, `ROC ${shown(roc)}; floor ${shown(floor)}: ${ratio.toFixed(2)}x the floor`);
  },
);
