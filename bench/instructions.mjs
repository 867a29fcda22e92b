// Instructions per call, counted by valgrind's callgrind: the client and the
// server of a call each run under it, as processes of their own (the agent
// with the flags its systemd unit gives it). A run of `warmup + n` calls less
// a run of `warmup` calls is what n calls cost, start-up, warm-up and exit
// cancelled out; instructions, not seconds, so the figure repeats on a busy
// machine. ROC's side runs as users run it off loopback: the agent with a
// token file, the client sending the token with every call.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AGENT_BUNDLE } from '../dist/src/lab/index.js';
import { AGENT_NODE_FLAGS, writeTokenFile } from '../dist/src/protocol/index.js';
import { encodeResponse } from '../dist/src/wire/index.js';
import { PAYLOADS } from './payloads.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Runs node with `args` under callgrind; `counted()` resolves with the instructions it ran once it exits. */
function underCallgrind(dir, label, args, env = process.env) {
  const out = join(dir, `${label}.callgrind`);
  const child = spawn(
    'valgrind',
    // V8's memory reducer collects garbage when a process has been idle a while: work set off
    // by wall-clock time, which valgrind stretches unevenly, not by calls. It made a run of
    // warm-up + n calls count less than the warm-up alone once; both sides go without it.
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      process.execPath,
      ...AGENT_NODE_FLAGS,
      '--no-memory-reducer',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const counted = async () => {
    const { code, signal } = await exited;
    const totals = /^totals: (\d+)/m.exec(readFileSync(out, 'utf8'))?.[1];
    if (code !== 0 || !totals) throw new Error(`${label}: ${code ?? signal} under valgrind: ${stderr.slice(-2000)}`);
    return Number(totals);
  };
  return { child, counted };
}

/** The first line the process prints that matches `re` (a port). */
function firstMatch(child, re, label) {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = re.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before it listened`)));
  });
}

/** One run: a server and a client of `side`, the client making warmup + n calls; the instructions of each. */
async function run(dir, side, size, warmup, n) {
  const label = `${side}-${size}-${n}`;
  let server;
  let port;
  if (side === 'roc') {
    server = underCallgrind(dir, `${label}-server`, [
      AGENT_BUNDLE,
      '-m',
      join(root, 'examples/remote_class.js'),
      '-p',
      '0',
      '--token-file',
      join(dir, 'token'),
    ]);
    port = await firstMatch(server.child, /Listening on https?:\/\/[^ ]+:(\d+)\//, 'roc-agent');
  } else {
    const file = join(dir, `${size}.xml`);
    writeFileSync(file, encodeResponse(PAYLOADS[size]));
    server = underCallgrind(dir, `${label}-server`, [join(root, 'bench/echo_server.mjs'), file]);
    port = await firstMatch(server.child, /^(\d+)$/, 'echo_server');
  }
  const client = underCallgrind(
    dir,
    `${label}-client`,
    [join(root, 'bench/call-path.mjs'), side, String(port), size, String(warmup), String(n)],
    { ...process.env, ROC_TOKEN: readFileSync(join(dir, 'token'), 'utf8').trim() },
  );
  try {
    const clientIr = await client.counted();
    server.child.kill('SIGTERM');
    return { client: clientIr, server: await server.counted() };
  } finally {
    server.child.kill('SIGKILL');
  }
}

/**
 * Instructions per call of ROC (client + agent) and of the floor (bench/floor.mjs's
 * client + bench/echo_server.mjs), for each size. The four runs of a size go at once:
 * callgrind serializes each process's threads, and the counts do not depend on time.
 */
export async function countInstructions(plan) {
  const dir = mkdtempSync(join(os.tmpdir(), 'roc-bench-callgrind-'));
  writeTokenFile(join(dir, 'token'));
  const results = {};
  for (const [size, { warmup, n }] of Object.entries(plan)) {
    const runs = {};
    await Promise.all(
      ['roc', 'floor'].flatMap((side) =>
        [0, n].map(async (count) => {
          runs[`${side}-${count}`] = await run(dir, side, size, warmup, count);
        }),
      ),
    );
    for (const side of ['roc', 'floor']) {
      const per = (part) => (runs[`${side}-${n}`][part] - runs[`${side}-0`][part]) / n;
      results[`${size} ${side}`] = { client: per('client'), server: per('server') };
    }
  }
  return results;
}

/** Instructions per op of one codec op (bench/codec.mjs): a run of warm-up + n ops less a run of the warm-up alone. */
export async function codecInstructions(shape, op, n) {
  const dir = mkdtempSync(join(os.tmpdir(), 'roc-bench-callgrind-'));
  const script = join(root, 'bench/codec.mjs');
  const [none, some] = await Promise.all(
    [0, n].map((count) => underCallgrind(dir, `codec-${count}`, [script, shape, op, String(count)]).counted()),
  );
  return (some - none) / n;
}
