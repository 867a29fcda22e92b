// npm run bench [-- --json] [--quick] [--only pairs,batching,fanout,memory,startup,slim,nemesis,streams,fitnesse,history,etcd,ssh]: every case of the benchmark issue in
// one process tree on loopback, side by side, with medians, p99s and the
// ratios the targets are stated in. Absolute times on a shared machine are
// noise; the ratios within one run are the result.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadTopology, remoteModule, serverProxy } from 'roc-toolkit';
import { AGENT_BUNDLE, agentCommand, freePort, labDown, labUp, launchAgent } from '../dist/src/lab/index.js';
import { deserialize, frame, FrameReader, serialize, SLIM_HEADER } from '../dist/src/slim/index.js';
import { encodeCall, encodeResponse } from '../dist/src/wire/index.js';
import { AGENT_NODE_FLAGS, writeTokenFile } from '../dist/src/protocol/index.js';
import { floorClient } from './floor.mjs';
import { CODEC_SHAPES, CODEC_WARMUP, codecOps } from './codec.mjs';
import { codecInstructions, countInstructions } from './instructions.mjs';
import { PAYLOADS } from './payloads.mjs';
import { nspawnGuestsMissing, sshAtScale } from './ssh-guests.mjs';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const N = QUICK ? 500 : 3000;
const WARMUP = QUICK ? 100 : 500;
const results = { machine: machine(), cases: {}, ratios: {}, targets: [] };

function machine() {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    python: spawnSync('python3', ['--version'], { encoding: 'utf8' }).stdout.trim(),
    java: (spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0] ?? '').trim(),
    date: new Date().toISOString(),
  };
}

const stats = (us) => {
  const s = [...us].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, medianUs: q(0.5), p99Us: q(0.99), meanUs: s.reduce((a, b) => a + b, 0) / s.length };
};

/** Each call's time in µs, after the warm-up calls. */
async function timeCallsRaw(fn, n = N, warmup = WARMUP) {
  for (let i = 0; i < warmup; i++) await fn();
  const us = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    us.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return us;
}

async function timeCalls(fn, n = N, warmup = WARMUP) {
  return stats(await timeCallsRaw(fn, n, warmup));
}

function record(name, s, note = '') {
  results.cases[name] = { ...s, note };
  const fmt = (v) =>
    v >= 1e7
      ? `${(v / 1e6).toFixed(2)} s`
      : v >= 1000
        ? `${(v / 1000).toFixed(2)} ms`
        : `${v.toFixed(v >= 10 ? 0 : 2)} µs`;
  console.log(
    `  ${name.padEnd(52)} median ${fmt(s.medianUs).padStart(9)}  p99 ${fmt(s.p99Us).padStart(9)}${note ? `  ${note}` : ''}`,
  );
}

function target(label, value, op, goal, unit = 'x') {
  if (value === undefined || Number.isNaN(value)) return;
  const ok = op === '>=' ? value >= goal : value <= goal;
  results.targets.push({ label, value, op, goal, unit, ok });
  console.log(`  ${ok ? '✔' : '✖'} ${label.padEnd(58)} ${value.toFixed(2)}${unit} (target ${op} ${goal}${unit})`);
}

/**
 * Floor servers (bench/echo_server.mjs), each a process of its own started as
 * the agent is (node with the agent's flags), answering every POST with the
 * bytes an agent answers `value` with. `detached` starts each in a session of
 * its own, as `roc lab up` starts its agents: the kernel's autogroup
 * scheduling shares the CPU between sessions first, so the floor of a lab must
 * be laid out as the lab is.
 */
async function floorServers(count, value, script = 'echo_server.mjs', detached = false) {
  const file = join(mkdtempSync(join(os.tmpdir(), 'roc-bench-floor-')), 'response.xml');
  writeFileSync(file, encodeResponse(value));
  const children = [];
  const ports = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, join(root, 'bench', script), file], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached,
    });
    children.push(child);
    ports.push(Number(await new Promise((r) => createInterface({ input: child.stdout }).once('line', r))));
  }
  return { ports, stop: () => children.forEach((c) => c.kill('SIGKILL')) };
}

async function startAgentProcess(extra = []) {
  // The single-file agent, with the Node flags the systemd unit gives it.
  const agent = await launchAgent(['-m', join(root, 'examples/remote_class.js'), '-p', '0', ...extra], {
    program: AGENT_BUNDLE,
  });
  return { child: agent.child, port: agent.port, stop: () => agent.child.kill('SIGKILL') };
}

async function pythonServer() {
  const child = spawn('python3', [join(root, 'bench/python_peer.py'), 'server', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = Number(await new Promise((r) => createInterface({ input: child.stdout }).once('line', r)));
  return { child, port, stop: () => child.kill('SIGKILL') };
}

async function pythonClient(url, kind, cls) {
  const { stdout } = await execFileAsync(
    'python3',
    [join(root, 'bench/python_peer.py'), 'client', url, kind, String(N), String(WARMUP), cls],
    { maxBuffer: 64 * 2 ** 20 },
  );
  return stats(JSON.parse(stdout));
}

/** RSS in MB; `anon` is the process's own memory, `file` the pages of mapped files (mostly the node binary's code, shared with every node process). */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}
const rss = async (pid) => memory(pid).rss;

async function callPairs() {
  const agent = await startAgentProcess();
  const py = await pythonServer();
  try {
    for (const kind of ['small', 'medium']) {
      console.log(
        `\n${kind === 'small' ? 'Sequential small calls (echo of a short string)' : 'Medium payloads (100 four-field structs, ~30 KB of XML)'}`,
      );
      const value = PAYLOADS[kind];
      const floor = await floorServers(1, value);
      const floorCall = floorClient(floor.ports[0], encodeCall('RemoteClass_x.echo', [value]));
      const proxy = serverProxy('127.0.0.1', agent.port);
      const inst = await remoteModule(proxy).RemoteClass(1, 2, 3);
      // ROC and its floor take turns in blocks of 100 calls (the two processes are alike: node with the agent's flags).
      const s = await interleaved({ floor: floorCall.call, roc: () => inst.echo(value) }, N, WARMUP, 100);
      record(`${kind}: floor: lean node:http client -> fixed answer`, s.floor);
      record(`${kind}: ROC client -> ROC agent`, s.roc);
      floorCall.close();
      floor.stop();
      proxy.close();
      const pyProxy = serverProxy('127.0.0.1', py.port);
      const pyHandle = await pyProxy.create('Bench', []);
      record(`${kind}: ROC client -> Python server`, await timeCalls(() => pyProxy.call(`${pyHandle}.echo`, value)));
      pyProxy.close();
      record(
        `${kind}: Python client -> Python server`,
        await pythonClient(`http://127.0.0.1:${py.port}/`, kind, 'Bench'),
      );
      record(
        `${kind}: Python client -> ROC agent`,
        await pythonClient(`http://127.0.0.1:${agent.port}/`, kind, 'RemoteClass'),
      );
      const c = results.cases;
      results.ratios[`${kind}: ROC vs floor`] = inTurns(s.floor, s.roc);
      results.ratios[`${kind}: ROC vs Python->Python`] =
        c[`${kind}: Python client -> Python server`].medianUs / c[`${kind}: ROC client -> ROC agent`].medianUs;
    }
  } finally {
    agent.stop();
    py.stop();
  }
}

async function batching() {
  console.log('\nBatching');
  const agent = await startAgentProcess();
  const proxy = serverProxy('127.0.0.1', agent.port, { timeout: 120_000 });
  try {
    const handle = await proxy.create('RemoteClass', [1, 2, 3]);
    const calls = Array.from({ length: 1000 }, (_, i) => ({ method: `${handle}.add`, params: [i, 1] }));
    const s = await timeCalls(() => proxy.multicall(calls), QUICK ? 5 : 20, 2);
    record('system.multicall of 1,000 calls', s, `${Math.round(1000 / (s.medianUs / 1e6))} calls/s`);
    results.ratios['multicall calls/s'] = 1000 / (s.medianUs / 1e6);
    const inst = await remoteModule(proxy).RemoteClass(1, 2, 3);
    for (const width of [1, 8, 32]) {
      const total = QUICK ? 800 : 4000;
      const t = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: width }, async () => {
          while (next++ < total) await inst.echo('hello world');
        }),
      );
      const secs = Number(process.hrtime.bigint() - t) / 1e9;
      record(
        `${width} concurrent calls from one client`,
        { n: total, medianUs: (secs * 1e6) / total, p99Us: NaN, meanUs: NaN },
        `${Math.round(total / secs)} calls/s`,
      );
    }
  } finally {
    proxy.close();
    agent.stop();
  }
}

/**
 * Times each case in turn, round after round (or `block` calls of a case at a
 * time), after the same warm-up taken in turns, so drift on a shared machine
 * falls on all of them alike. Each case's stats also keep the median of each
 * of its turns (`turns`, not enumerated), for inTurns().
 */
async function interleaved(cases, rounds, warmup, block = 1) {
  const entries = Object.entries(cases);
  for (let i = 0; i < warmup; i++) for (const [, fn] of entries) await fn();
  const samples = Object.fromEntries(entries.map(([k]) => [k, []]));
  const turns = Object.fromEntries(entries.map(([k]) => [k, []]));
  for (let done = 0; done < rounds; done += block) {
    for (const [k, fn] of entries) {
      const turn = [];
      for (let i = 0; i < block && done + i < rounds; i++) {
        const t = process.hrtime.bigint();
        await fn();
        turn.push(Number(process.hrtime.bigint() - t) / 1000);
      }
      samples[k].push(...turn);
      turns[k].push(stats(turn).medianUs);
    }
  }
  return Object.fromEntries(
    entries.map(([k]) => [k, Object.defineProperty(stats(samples[k]), 'turns', { value: turns[k] })]),
  );
}

/**
 * a's time over b's, taken turn by turn (each turn of a against the turn of b
 * next to it) and the median of those: this machine's speed drifts 2-3x over
 * a minute, which a ratio of whole-run medians takes in and this does not.
 */
function inTurns(a, b) {
  return stats(a.turns.map((t, i) => t / b.turns[i])).medianUs;
}

const SIZES = [1, 3, 10];

/** One TCP connection per server; a call writes the request and waits for the answer's first chunk. */
async function tcpCallers(ports, payload) {
  return Promise.all(
    ports.map(async (port) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      await new Promise((r) => socket.once('connect', r));
      let answered;
      socket.on('data', () => answered());
      return {
        call: () =>
          new Promise((r) => {
            answered = r;
            socket.write(payload);
          }),
        close: () => socket.destroy(),
      };
    }),
  );
}

async function fanOut() {
  console.log('\nFan-out: one call on 1, 3 and 10 guests at once, and the same fan-out to floor servers, in turns');
  const rounds = QUICK ? 150 : 600;
  // Each agent and floor server answers one call a fan-out: at 400 rounds of warm-up TurboFan was
  // still compiling in all twenty of them during the timed rounds (a third of their CPU, on threads
  // of its own), the more so in the agents, which have more code. 4,000 rounds reach steady state.
  const warmup = QUICK ? 100 : 4000;
  const dir = mkdtempSync(join(os.tmpdir(), 'roc-bench-lab-'));
  writeTokenFile(join(dir, 'token'));
  const port = await freePort();
  const lines = [
    `defaults: { port: ${port}, token_file: token, modules: [${join(root, 'examples/remote_class.js')}] }`,
    'guests:',
  ];
  for (let i = 1; i <= 10; i++) lines.push(`  g${i}: { host: 127.0.2.${10 + i} }`);
  const file = join(dir, 'roc.yml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  await labUp({ topology: file });
  const topology = loadTopology(file);
  const stops = [];
  try {
    // The floors answer what an agent answers `version` with, to the body ROC sends for it.
    const version = await topology.guest('g1').call('version');
    const payload = encodeCall('version', []);
    const http10 = await floorServers(10, version, 'echo_server.mjs', true);
    const tcp10 = await floorServers(10, version, 'tcp_echo.mjs', true);
    stops.push(http10.stop, tcp10.stop);
    const httpCallers = http10.ports.map((p) => floorClient(p, payload));
    const tcp = await tcpCallers(tcp10.ports, payload);
    stops.push(() => httpCallers.concat(tcp).forEach((c) => c.close()));
    const groups = { 1: topology.guests('g1'), 3: topology.guests('g1,g2,g3'), 10: topology.guests('g*') };
    const cases = {};
    for (const n of SIZES) {
      cases[`roc ${n}`] = async () => (await groups[n].map((g) => g.call('version'))).throwIfFailed();
      cases[`http ${n}`] = () => Promise.all(httpCallers.slice(0, n).map((c) => c.call()));
      cases[`tcp ${n}`] = () => Promise.all(tcp.slice(0, n).map((c) => c.call()));
    }
    // The cases take turns in blocks of 50 fan-outs, so drift falls on all alike and each pays for its own
    // work: what the servers and the client still do after an answer has arrived (node:http's finished
    // response and keep-alive timer, a pool taking its connection back) lands in the next fan-out. Taking
    // turns one fan-out at a time billed that to whichever case came next. Size 10 warms every agent and server.
    const s = await interleaved(cases, rounds, warmup, 50);
    for (const n of SIZES) record(`one call on ${n} lab guest(s) through guests(...)`, s[`roc ${n}`]);
    for (const n of SIZES) record(`fan-out floor, lean node:http processes: ${n}`, s[`http ${n}`]);
    for (const n of SIZES) record(`fan-out floor, bare TCP echo processes: ${n}`, s[`tcp ${n}`]);
    results.ratios['fan-out 10 vs 1 (time)'] = s['roc 10'].medianUs / s['roc 1'].medianUs;
    results.ratios['fan-out 10: ROC vs floor (time)'] = inTurns(s['roc 10'], s['http 10']);
    results.ratios['fan-out 10: ROC vs floor, whole-run medians (time)'] = s['roc 10'].medianUs / s['http 10'].medianUs;
    results.ratios['fan-out 10 vs 1, node:http floor (time)'] = s['http 10'].medianUs / s['http 1'].medianUs;
    results.ratios['fan-out 10 vs 1, TCP floor (time)'] = s['tcp 10'].medianUs / s['tcp 1'].medianUs;
  } finally {
    stops.forEach((stop) => stop());
    topology.close();
    await labDown({ topology: file });
  }
}

async function handlesAndMemory() {
  console.log('\nHandles and agent memory');
  const agent = await startAgentProcess();
  const proxy = serverProxy('127.0.0.1', agent.port, { timeout: 120_000 });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const started = memory(agent.child.pid);
    // Idle is what a guest's agent sits at between test runs. V8 collects the start-up garbage (the bundle's
    // source as the launcher carried it, parse scratch, the young generation's growth) only once the process has
    // been quiet for some seconds, so the agent gets 15 s without calls first.
    await new Promise((r) => setTimeout(r, 15_000));
    const settled = memory(agent.child.pid);
    const idle = settled.rss;
    const mb = (m) => `${m.rss.toFixed(1)} MB (own ${m.anon.toFixed(1)}, mapped files ${m.file.toFixed(1)})`;
    console.log(`  agent RSS 0.3 s after its first answer: ${mb(started)}; after 15 s idle: ${mb(settled)}`);
    const cycle = async () => {
      const h = await proxy.create('Point', [1, 2]);
      await proxy.call(`${h}.norm`);
      await proxy.releaseHandle(h);
    };
    const s = await timeCalls(cycle, QUICK ? 500 : 3000, 200);
    record('create + call + release cycle', s, `${Math.round(1e6 / s.medianUs)} cycles/s`);
    // 100,000 cycles, batched so the run takes seconds: the agent does the same work per handle.
    const before = await rss(agent.child.pid);
    const total = QUICK ? 20_000 : 100_000;
    for (let done = 0; done < total; done += 1000) {
      const made = await proxy.multicall(
        Array.from({ length: 1000 }, () => ({ method: 'create', params: ['Point', [1, 2]] })),
      );
      await proxy.multicall(made.map((m) => ({ method: 'release', params: [m.value] })));
    }
    const after = await rss(agent.child.pid);
    const live = (await proxy.ping()).handles;
    const clients = Array.from({ length: 50 }, () => serverProxy('127.0.0.1', agent.port));
    let peak = after;
    const load = Promise.all(
      clients.map(async (c) => {
        const i = await remoteModule(c).RemoteClass(1, 2, 3);
        for (let k = 0; k < (QUICK ? 40 : 200); k++) await i.echo('hello world');
      }),
    );
    const sampler = setInterval(async () => (peak = Math.max(peak, await rss(agent.child.pid))), 50);
    await load;
    clearInterval(sampler);
    clients.forEach((c) => c.close());
    await new Promise((r) => setTimeout(r, 15_000));
    const quietAgain = memory(agent.child.pid);
    console.log(`  agent RSS after all that and 15 s idle again: ${mb(quietAgain)}`);
    console.log(
      `  agent RSS: idle ${idle.toFixed(1)} MB; ${total} handle cycles: ${before.toFixed(1)} -> ${after.toFixed(1)} MB (+${(after - before).toFixed(1)} MB, ${live} live handles); under 50 clients: ${peak.toFixed(1)} MB`,
    );
    results.cases.memory = {
      startedMb: started.rss,
      startedAnonMb: started.anon,
      startedFileMb: started.file,
      idleMb: idle,
      idleAnonMb: settled.anon,
      idleFileMb: settled.file,
      beforeCyclesMb: before,
      afterCyclesMb: after,
      cycles: total,
      liveHandlesAfter: live,
      under50ClientsMb: peak,
      idleAfterLoadMb: quietAgain.rss,
    };
    results.ratios['RSS idle (MB)'] = idle;
    results.ratios['RSS growth after cycles (MB)'] = after - before;
  } finally {
    proxy.close();
    agent.stop();
  }
}

async function startup() {
  console.log('\nAgent start-up: process start to first answered call');
  const times = [];
  for (let i = 0; i < (QUICK ? 3 : 7); i++) {
    const port = await freePort();
    const t = process.hrtime.bigint();
    const command = agentCommand(
      ['-q', '-m', join(root, 'examples/remote_class.js'), '-p', String(port)],
      AGENT_BUNDLE,
    );
    const child = spawn(command.file, command.args, { stdio: 'ignore' });
    const proxy = serverProxy('127.0.0.1', port, { timeout: 1000 });
    for (;;) {
      try {
        await proxy.classes();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    times.push(Number(process.hrtime.bigint() - t) / 1000);
    proxy.close();
    child.kill('SIGKILL');
  }
  record('start-up of the single-file agent', stats(times));
  results.ratios['start-up (ms)'] = stats(times).medianUs / 1000;
}

/** A SLIM server as its own process, and a client on its socket that sends a list and waits for the answer. */
async function slimSession(label, command, cmdArgs, cwd, instructionsFor) {
  const port = await freePort();
  const child = spawn(command, [...cmdArgs, String(port)], { cwd, stdio: 'ignore' });
  let socket;
  for (let i = 0; i < 200 && !socket; i++) {
    socket = await new Promise((resolve) => {
      const s = new net.Socket();
      s.once('error', () => resolve(undefined));
      s.connect(port, '127.0.0.1', () => resolve(s));
    });
    if (!socket) await new Promise((r) => setTimeout(r, 50));
  }
  if (!socket) throw new Error(`${label}: the SLIM server did not listen`);
  socket.setNoDelay(true);
  const reader = new FrameReader();
  let header = Buffer.alloc(0);
  const waiting = [];
  socket.on('data', (chunk) => {
    if (header.length < SLIM_HEADER.length) {
      header = Buffer.concat([header, chunk]);
      if (header.length < SLIM_HEADER.length) return;
      chunk = header.subarray(header.indexOf(0x0a) + 1);
    }
    for (const f of reader.push(chunk)) waiting.shift()(f);
  });
  const send = (list) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(frame(serialize(list)));
    });
  const { setup, call } = instructionsFor;
  const setupAnswer = deserialize(await send(setup));
  if (setupAnswer.some((r) => String(r[1]).includes('EXCEPTION')))
    throw new Error(`${label}: set-up failed: ${JSON.stringify(setupAnswer)}`);
  const batch = (n, tag) => Array.from({ length: n }, (_, i) => [`${tag}_${i}`, 'call', 'bench', call, `hello ${i}`]);
  return {
    label,
    oneBatchOf1000: () => send(batch(1000, 'b')),
    hundredBatchesOf10: async () => {
      for (let i = 0; i < 100; i++) await send(batch(10, `s${i}`));
    },
    close: () => {
      socket.write(frame('bye'));
      socket.end();
      child.kill('SIGKILL');
    },
  };
}

async function slim() {
  console.log("\nSLIM: roc slim against FitNesse's Java SlimService, both running, driven by the same client in turns");
  const sessions = [
    await slimSession('roc slim', process.execPath, [join(root, 'dist/src/cli/roc.js'), 'slim'], root, {
      setup: [
        ['i', 'import', 'test/fitnesse/fixtures'],
        ['m', 'make', 'bench', 'TestSlim'],
      ],
      call: 'echoString',
    }),
  ];
  // The same client against a process that answers every frame with fixed bytes: the round trip no server beats.
  sessions.push(
    await slimSession('floor', process.execPath, [join(root, 'bench/slim_floor.mjs')], root, {
      setup: [['i', 'import', 'nothing']],
      call: 'echoString',
    }),
  );
  if (spawnSync('java', ['-version']).status === 0) {
    sessions.push(
      await slimSession(
        'Java SlimService',
        'java',
        ['-cp', join(root, 'node_modules/fitnesse/fitnesse-standalone.jar'), 'fitnesse.slim.SlimService'],
        root,
        {
          setup: [
            ['i', 'import', 'fitnesse.slim.test'],
            ['m', 'make', 'bench', 'TestSlim'],
          ],
          call: 'echoString',
        },
      ),
    );
  } else {
    console.log('  (no Java here: the SlimService side is skipped)');
  }
  try {
    // Java's JIT needs more warming than V8's; both get the same, and the cases alternate between the servers.
    const cases = {};
    for (const x of sessions) {
      cases[`SLIM ${x.label}: a batch of 1,000 calls`] = x.oneBatchOf1000;
      cases[`SLIM ${x.label}: 100 batches of 10 calls`] = x.hundredBatchesOf10;
    }
    const s = await interleaved(cases, QUICK ? 10 : 40, QUICK ? 3 : 10);
    for (const [name, st] of Object.entries(s)) record(name, st, `${Math.round(1000 / (st.medianUs / 1e6))} calls/s`);
    results.ratios['SLIM 100 batches of 10: roc vs floor (time)'] = inTurns(
      s['SLIM roc slim: 100 batches of 10 calls'],
      s['SLIM floor: 100 batches of 10 calls'],
    );
    if (sessions.length === 3) {
      results.ratios['SLIM 1,000-call batch: roc vs Java'] = inTurns(
        s['SLIM Java SlimService: a batch of 1,000 calls'],
        s['SLIM roc slim: a batch of 1,000 calls'],
      );
      results.ratios['SLIM 100 batches of 10: roc vs Java'] = inTurns(
        s['SLIM Java SlimService: 100 batches of 10 calls'],
        s['SLIM roc slim: 100 batches of 10 calls'],
      );
      // No SLIM server beats one that answers without reading: Java's time over the floor's bounds the ratio above.
      results.ratios['SLIM 100 batches of 10: floor vs Java'] = inTurns(
        s['SLIM Java SlimService: 100 batches of 10 calls'],
        s['SLIM floor: 100 batches of 10 calls'],
      );
    }
  } finally {
    sessions.forEach((x) => x.close());
  }
}

/**
 * The nemesis on a --netns lab of 3 guests (root): how long a partition of
 * the three takes to make and to heal, and what its rules cost a call from
 * the host to a guest (the rules sit on every packet's path), interleaved
 * with the same call when no rule is there.
 */
async function nemesis() {
  console.log('\nNemesis: a partition of 3 guests on a --netns lab');
  if (process.getuid?.() !== 0) {
    console.log('  skipped: needs root (network namespaces)');
    return;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'roc-bench-nemesis-'));
  const file = join(dir, 'roc.yml');
  writeTokenFile(join(dir, '.roc', 'token'));
  writeFileSync(
    file,
    [
      `defaults: { port: 7007, token_file: .roc/token, modules: [${join(root, 'examples/remote_class.js')}] }`,
      'guests:',
      '  n1: { host: 198.18.61.11 }',
      '  n2: { host: 198.18.61.12 }',
      '  n3: { host: 198.18.61.13 }',
      '',
    ].join('\n'),
  );
  await labUp({ topology: file, netns: true });
  const topology = loadTopology(file);
  try {
    const rounds = QUICK ? 10 : 40;
    const make = [];
    const heal = [];
    for (let i = 0; i < rounds + 3; i++) {
      let t = process.hrtime.bigint();
      const fault = await topology.nemesis.partition([['n1'], ['n2'], ['n3']]);
      const made = Number(process.hrtime.bigint() - t) / 1000;
      t = process.hrtime.bigint();
      await fault.heal();
      const healed = Number(process.hrtime.bigint() - t) / 1000;
      if (i >= 3) {
        make.push(made);
        heal.push(healed);
      }
    }
    record('partition of 3 guests: make', stats(make));
    record('partition of 3 guests: heal', stats(heal));
    const inst = await topology.guest('n1').module.RemoteClass(1, 2, 3);
    const call = () => inst.echo('hello world');
    // Alternating blocks, with and without the rules, so that drift in the machine's load hits both alike.
    const clear = [];
    const cut = [];
    for (let round = 0; round < (QUICK ? 3 : 8); round++) {
      clear.push(...(await timeCallsRaw(call, QUICK ? 200 : 500, 100)));
      const fault = await topology.nemesis.partition([['n1'], ['n2'], ['n3']], { ttl: '10m' });
      cut.push(...(await timeCallsRaw(call, QUICK ? 200 : 500, 100)));
      await fault.heal();
    }
    const a = stats(clear);
    const b = stats(cut);
    record('host -> n1 call, no rules', a);
    record('host -> n1 call, partition rules in place', b);
    results.ratios['call with partition rules / without (time)'] = b.medianUs / a.medianUs;
    console.log(
      `  a call with the partition's rules in place: ${(b.medianUs / a.medianUs).toFixed(2)}x the time without`,
    );
  } finally {
    topology.close();
    await labDown({ topology: file });
  }
}

/**
 * etcd failover on a --netns lab (root, Debian's etcd-server): rounds of
 * isolating the leader, then healing, with and without etcd's --pre-vote:
 * how long until the majority has a new leader (from the fault), and until
 * every member follows one leader at one raft index (from the heal).
 */
async function etcdFailover() {
  console.log('\netcd failover: isolate the leader, heal (examples/etcd on a --netns lab)');
  if (process.getuid?.() !== 0 || spawnSync('etcd', ['--version']).status !== 0) {
    console.log('  skipped: needs root (network namespaces) and etcd (apt-get install etcd-server)');
    return;
  }
  const file = join(root, 'examples', 'etcd', 'roc.yml');
  process.env.ROC_TOPOLOGY = file;
  await labUp({ topology: file, netns: true });
  const { EtcdCluster, timings } = await import('../examples/etcd/fixtures/etcd_fixtures.js');
  const cluster = new EtcdCluster();
  const rounds = QUICK ? 2 : 6;
  try {
    for (const preVote of [false, true]) {
      await cluster.startClusterWithPreVote(preVote);
      timings.length = 0;
      for (let i = 0; i < rounds; i++) {
        const old = await cluster.isolateLeader();
        await cluster.newLeaderWithin(15);
        await cluster.stepsDownWithin(old, 20);
        await cluster.healAndCatchUpWithin(30);
      }
      const label = preVote ? 'with --pre-vote' : 'without --pre-vote';
      for (const what of ['election after isolating the leader', 'catch-up after heal']) {
        const ms = timings.filter((t) => t.what === what).map((t) => t.ms);
        const s = stats(ms.map((m) => m * 1000));
        record(`etcd ${what}, ${label}`, s, `${rounds} rounds: ${ms.join(', ')} ms`);
        results.ratios[`etcd ${what}, ${label} (median ms)`] = s.medianUs / 1000;
      }
    }
  } finally {
    await cluster.stopCluster();
    await labDown({ topology: file });
  }
}

/**
 * transport: ssh at scale: 20 guests, each its own ssh connection and its own
 * agent streamed over it, all to one sshd on a loopback port (so every
 * agent runs on this machine): the time until every guest has answered a
 * first call (connections, agents streamed and started, tunnels: 32 at
 * once at most), then a second ping of all, against the agent transport's
 * ping of as many local agents.
 */
async function sshFanOut() {
  console.log('\ntransport: ssh: 20 guests started over ssh (one loopback sshd), first call and ping of all');
  const { sshdMissing, startLoopbackSshd } = await import('../dist/test/ssh-server.js');
  const why = sshdMissing();
  if (why) {
    console.log(`  skipped: ${why}`);
    return;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'roc-bench-ssh-'));
  const names = Array.from({ length: 20 }, (_, i) => `s${i + 1}`);
  const sshd = await startLoopbackSshd(dir, Object.fromEntries(names.map((n) => [n, undefined])));
  writeFileSync(
    join(dir, 'roc.yml'),
    [
      'guests:',
      ...names.map(
        (n) =>
          `  ${n}: { host: 127.0.0.1, transport: ssh, timeout: 60s, ssh: { config_host: ${n}, config_file: ssh_config } }`,
      ),
      '',
    ].join('\n'),
  );
  const topology = loadTopology(join(dir, 'roc.yml'));
  try {
    let t = process.hrtime.bigint();
    const first = await topology.guests().ping();
    const firstMs = Number(process.hrtime.bigint() - t) / 1e6;
    if (!first.ok) throw new Error(`ssh fan-out: ${first.failed.join(', ')} failed`);
    const again = [];
    for (let i = 0; i < 20; i++) {
      t = process.hrtime.bigint();
      await topology.guests().ping();
      again.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    record('20 guests over ssh: first call on all (start)', {
      n: 1,
      medianUs: firstMs * 1000,
      p99Us: firstMs * 1000,
      meanUs: firstMs * 1000,
    });
    record('20 guests over ssh: ping of all, started', stats(again));
    results.ratios['ssh: first call on 20 guests (ms)'] = firstMs;
    results.ratios['ssh: ping of 20 started guests (ms)'] = stats(again).medianUs / 1000;
  } finally {
    topology.close();
    sshd.stop();
  }
  console.log('\ntransport: ssh on 20 booted nspawn guests, each with its own sshd, beside provisioned agents on them');
  const missing = nspawnGuestsMissing();
  if (missing) {
    console.log(`  skipped: ${missing}`);
    return;
  }
  const once = (ms) => ({ n: 1, medianUs: ms * 1000, p99Us: ms * 1000, meanUs: ms * 1000 });
  const scale = await sshAtScale(20, 20);
  record('20 nspawn guests, transport: ssh: first call on all', once(scale.sshFirstMs));
  record('20 nspawn guests, transport: ssh: ping of all', stats(scale.sshPingUs));
  record('20 nspawn guests, agents started (systemd-run): all answering', once(scale.agentFirstMs));
  record('20 nspawn guests, transport: agent: ping of all', stats(scale.agentPingUs));
  results.ratios['ssh, 20 nspawn guests: first call on all (ms)'] = scale.sshFirstMs;
  results.ratios['ssh vs agent, 20 nspawn guests: ping of all (time)'] =
    stats(scale.sshPingUs).medianUs / stats(scale.agentPingUs).medianUs;
}

/**
 * Streams: 100,000 small items from a remote generator (for await, pulled
 * in batches) against one call per item, on one agent; and how long a line
 * appended to a file on a lab guest takes to reach a files.follow consumer
 * on the host.
 */
async function streams() {
  console.log('\nStreams: a remote generator against one call per item; a followed file on a lab guest');
  const agent = await launchAgent(['-m', join(root, 'bench/stream_source.js'), '-p', '0'], { program: AGENT_BUNDLE });
  const proxy = serverProxy('127.0.0.1', agent.port);
  try {
    const M = remoteModule(proxy);
    const source = await M.Source();
    const ITEMS = 100_000;
    const PER_CALL = QUICK ? 2_000 : 10_000;
    const rates = { generator: [], calls: [] };
    // Alternating rounds, so that drift in the machine's load hits both alike.
    for (let round = 0; round < (QUICK ? 2 : 3); round++) {
      let t = process.hrtime.bigint();
      let seen = 0;
      for await (const i of await source.items(ITEMS)) {
        if (i !== seen) throw new Error(`item ${seen} arrived as ${i}`);
        seen++;
      }
      if (seen !== ITEMS) throw new Error(`${seen} items of ${ITEMS}`);
      rates.generator.push(ITEMS / (Number(process.hrtime.bigint() - t) / 1e9));
      t = process.hrtime.bigint();
      for (let i = 0; i < PER_CALL; i++) await source.item(i);
      rates.calls.push(PER_CALL / (Number(process.hrtime.bigint() - t) / 1e9));
    }
    // stats() takes the median of any numbers, rates too.
    const gen = stats(rates.generator).medianUs;
    const one = stats(rates.calls).medianUs;
    console.log(
      `  ${'100,000 items by for await over a remote generator'.padEnd(52)} ${Math.round(gen).toLocaleString('en')} items/s`,
    );
    console.log(
      `  ${`one call per item (${PER_CALL.toLocaleString('en')} calls)`.padEnd(52)} ${Math.round(one).toLocaleString('en')} items/s`,
    );
    results.cases['generator items/s'] = { itemsPerSecond: gen };
    results.cases['one call per item, items/s'] = { itemsPerSecond: one };
    results.ratios['remote generator vs one call per item (rate)'] = gen / one;
  } finally {
    proxy.close();
    agent.child.kill('SIGKILL');
  }

  // A lab guest on loopback: its files are this machine's, so the host appends and times the line's arrival.
  const dir = mkdtempSync(join(os.tmpdir(), 'roc-bench-follow-'));
  const file = join(dir, 'roc.yml');
  writeFileSync(file, ['defaults: { port: 7007 }', 'guests:', '  f1: { host: 127.0.1.71 }', ''].join('\n'));
  const log = join(dir, 'app.log');
  writeFileSync(log, 'before\n');
  await labUp({ topology: file });
  const topology = loadTopology(file);
  try {
    const lines = (await topology.guest('f1').lib.files.follow(log, { from: 'end' }))[Symbol.asyncIterator]();
    const latencies = [];
    const rounds = QUICK ? 50 : 200;
    const f1 = topology.guest('f1');
    for (let i = 0; i < rounds + 10; i++) {
      // The consumer waits in its long poll, as a test following a log does, when the line is written.
      const next = lines.next();
      while ((await f1.ping()).calls < 1);
      const t = process.hrtime.bigint();
      appendFileSync(log, `line ${i}\n`);
      const { value } = await next;
      const us = Number(process.hrtime.bigint() - t) / 1000;
      if (value !== `line ${i}`) throw new Error(`followed ${JSON.stringify(value)}, not line ${i}`);
      if (i >= 10) latencies.push(us);
    }
    await lines.return();
    record('a line appended on a lab guest, to the follow consumer', stats(latencies));
    results.ratios['follow latency median (ms)'] = stats(latencies).medianUs / 1000;
  } finally {
    topology.close();
    await labDown({ topology: file });
  }
}

/** A generated suite of `pages` test pages (a decision and a script table each) for the runner's speed. */
function generatedSuite(pages) {
  const dir = mkdtempSync(join(os.tmpdir(), 'roc-bench-fitnesse-'));
  const suite = join(dir, 'FitNesseRoot', 'GeneratedSuite');
  mkdirSync(suite, { recursive: true });
  writeFileSync(join(suite, 'content.txt'), '!contents\n');
  writeFileSync(join(suite, 'properties.xml'), '<?xml version="1.0"?>\n<properties>\n\t<Suite/>\n</properties>\n');
  for (let i = 1; i <= pages; i++) {
    const page = join(suite, `Page${String(i).padStart(3, '0')}Test`);
    mkdirSync(page);
    const rows = Array.from({ length: 10 }, (_, j) => `|${j}|no|${j % 2}|${j > 2 && j % 2 === 0 ? 'yes' : 'no'}|`).join(
      '\n',
    );
    writeFileSync(
      join(page, 'content.txt'),
      `|import|\n|fixtures|\n\n|should I buy milk|\n|cash in wallet|credit card|pints of milk remaining|go to store?|\n${rows}\n\n|script|echo script|\n|check|echo|page ${i}|page ${i}|\n|check|echo|more|more|\n`,
    );
  }
  return dir;
}

/**
 * roc fitnesse against FitNesse's own ?suite run of the same pages with roc
 * slim as its SLIM server, in turns: the runner's whole cost (the wiki copy,
 * the page finder, reading each page's result) over FitNesse's own.
 */
async function fitnesseRunner() {
  const pages = QUICK ? 24 : 48;
  console.log(
    `\nFitNesse's speed: roc fitnesse vs FitNesse's own ?suite run, ${pages} generated pages, roc slim for both`,
  );
  if (!/version/.test(results.machine.java)) return console.log('  (skipped: no java on this machine)');
  const dir = generatedSuite(pages);
  const jar = join(root, 'node_modules/fitnesse/fitnesse-standalone.jar');
  const cwd = join(root, 'test', 'fitnesse');
  const roc = join(root, 'dist/src/cli/roc.js');
  const run = (command, cmdArgs, env = {}) =>
    new Promise((resolve, reject) => {
      const t = process.hrtime.bigint();
      execFile(command, cmdArgs, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout) => {
        // FitNesse and roc fitnesse both exit non-zero only when a page fails; here none may.
        if (err) return reject(new Error(`${command} ${cmdArgs.join(' ')}: ${err.message}\n${stdout}`));
        resolve(Number(process.hrtime.bigint() - t) / 1000);
      });
    });
  const own = async () =>
    run(
      'java',
      ['-jar', jar, '-d', dir, '-p', String(await freePort()), '-o', '-c', 'GeneratedSuite?suite&format=text'],
      {
        TEST_SYSTEM: 'slim',
        COMMAND_PATTERN: `${process.execPath} ${roc} slim`,
        'slim.port': String(await freePort()),
      },
    );
  const ours = async () =>
    run(process.execPath, [
      roc,
      'fitnesse',
      'GeneratedSuite',
      '-d',
      dir,
      '--report',
      join(dir, 'junit.xml'),
      '--log-lines',
      '0',
    ]);
  const a = [];
  const b = [];
  await own();
  await ours();
  for (let i = 0; i < (QUICK ? 3 : 5); i++) {
    a.push(await own());
    b.push(await ours());
  }
  const sa = stats(a);
  const sb = stats(b);
  record(`FitNesse ?suite, ${pages} pages, roc slim`, sa);
  record(`roc fitnesse, the same ${pages} pages`, sb);
  results.ratios['roc fitnesse vs FitNesse ?suite (time)'] = sb.medianUs / sa.medianUs;
}

/** The linearizability checker on generated histories (linearizable by construction), and on broken ones. */
async function historyChecker() {
  const { check, models, operationsOf } = await import('../dist/src/history/index.js');
  const { generate } = await import('../dist/test/history/generate.js');
  console.log('\nHistories: the linearizability checker on generated histories (10 processes, up to 10 concurrent)');
  const cases = [
    [
      'cas register, 10,000 ops, 10% indeterminate',
      { ops: 10_000, processes: 10, infoRate: 0.1, seed: 42 },
      'casRegister',
      'cas 10k',
    ],
    [
      'kv, 100,000 ops over 100 keys, 10% indeterminate',
      { ops: 100_000, processes: 10, infoRate: 0.1, keys: 100, seed: 42 },
      'kv',
      'kv 100k',
    ],
    [
      'cas register, 10,000 ops, its last read stale',
      { ops: 10_000, processes: 10, infoRate: 0, seed: 42, tail: true },
      'casRegister',
      'illegal 10k',
    ],
  ];
  let peakRss = 0;
  for (const [label, options, model, key] of cases) {
    const events = generate(options);
    if (options.tail) {
      let time = events.at(-1).time + 10;
      for (const [f, value, out] of [
        ['write', 100, 100],
        ['write', 101, 101],
        ['read', null, 100],
      ]) {
        events.push({ process: 'tail', type: 'invoke', f, value, time: time++ });
        events.push({ process: 'tail', type: 'ok', f, value: out, time: time++ });
      }
    }
    // Three runs, as the Porcupine harness does: the first also pays for the JIT compiling the search.
    // Each: the events made operations (operationsOf), then the check of those operations, which is what
    // Porcupine's CheckOperations is given; the target is on both together, a user's path from events.
    const times = [];
    const checks = [];
    let r;
    for (let run = 0; run < 3; run++) {
      const t = process.hrtime.bigint();
      const ops = operationsOf(events);
      const t1 = process.hrtime.bigint();
      r = await check(ops, models[model](), { timeout: 60_000 });
      const t2 = process.hrtime.bigint();
      times.push(Number(t2 - t) / 1000);
      checks.push(Number(t2 - t1) / 1000);
      peakRss = Math.max(peakRss, process.memoryUsage().rss / 2 ** 20);
    }
    const s = stats(times);
    const us = s.medianUs;
    const ms = (list) => list.map((x) => (x / 1000).toFixed(0)).join(', ');
    record(label, s, `valid: ${r.valid}; runs ${ms(times)} ms, of which the check of the operations ${ms(checks)} ms`);
    results.ratios[`history ${key} (ms)`] = us / 1000;
    results.ratios[`history ${key}: check of the operations (ms)`] = stats(checks).medianUs / 1000;
    results.ratios[`history ${key} valid`] = r.valid;
  }
  results.ratios['history peak RSS (MB)'] = peakRss;
}

function svg() {
  const rows = results.targets.filter((t) => t.unit === 'x');
  const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  // Ratios span 0.5x to 12x and more: on a log axis one large ratio does not flatten the rest.
  const lo = Math.min(0.5, ...rows.map((r) => Math.min(r.value, r.goal))) / 1.2;
  const hi = Math.max(2, ...rows.map((r) => Math.max(r.value, r.goal))) * 1.6;
  const left = 20;
  const w = 760;
  const plotW = w - left - 70;
  const x = (v) => left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const rowH = 52;
  const top = 70;
  const h = top + rows.length * rowH + 30;
  let out = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">\n`;
  out += `<text x="${left}" y="22" font-weight="bold">ROC ratios measured side by side in one run (log scale)</text>\n`;
  out += `<rect x="${left}" y="34" width="14" height="10" fill="#4c9a2a"/><text x="${left + 18}" y="43">measured, target met</text>\n`;
  out += `<rect x="${left + 160}" y="34" width="14" height="10" fill="#c0392b"/><text x="${left + 178}" y="43">measured, target missed</text>\n`;
  out += `<line x1="${left + 340}" y1="32" x2="${left + 340}" y2="46" stroke="black" stroke-width="2"/><text x="${left + 346}" y="43">target</text>\n`;
  for (const tick of [0.5, 1, 2, 5, 10, 20, 50].filter((t) => t >= lo && t <= hi)) {
    out += `<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${h - 24}" stroke="#ddd"/><text x="${x(tick)}" y="${h - 10}" text-anchor="middle" fill="#555">${tick}x</text>\n`;
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const barY = y + 8;
    const end = x(r.value);
    // Each label on its own line above its bar, so it is never cut off or covered.
    out += `<text x="${left}" y="${y}">${esc(r.label)} (${r.op} ${r.goal}x)</text>\n`;
    out += `<rect x="${left}" y="${barY}" width="${Math.max(1, end - left)}" height="20" fill="${r.ok ? '#4c9a2a' : '#c0392b'}"/>\n`;
    out += `<line x1="${x(r.goal)}" y1="${barY - 4}" x2="${x(r.goal)}" y2="${barY + 24}" stroke="black" stroke-width="2"/>\n`;
    const inside = end > left + plotW - 10;
    out += `<text x="${inside ? end - 4 : end + 4}" y="${barY + 15}"${inside ? ' text-anchor="end" fill="white"' : ''}>${r.value.toFixed(2)}x</text>\n`;
  });
  return `${out}</svg>\n`;
}

/** The XML-RPC codec alone: time per op in-process, and with --instructions, instructions per byte. */
async function codec() {
  const counting = args.includes('--instructions') && spawnSync('valgrind', ['--version']).status === 0;
  console.log(`\nThe XML-RPC codec alone${counting ? ' (instructions per byte under callgrind)' : ''}`);
  for (const shape of CODEC_SHAPES) {
    const ops = codecOps(shape);
    for (const [op, { bytes, run }] of Object.entries(ops)) {
      const per = QUICK ? 2000 : 10000;
      for (let i = 0; i < CODEC_WARMUP; i++) run();
      // Blocks of ops timed together: one op of the small shape is shorter than the clock's resolution.
      const block = Math.max(1, Math.round(20000 / bytes));
      const us = [];
      for (let done = 0; done < per; done += block) {
        const t = process.hrtime.bigint();
        for (let i = 0; i < block; i++) run();
        us.push(Number(process.hrtime.bigint() - t) / 1000 / block);
      }
      const s = stats(us);
      const name = `codec ${shape}: ${op} (${bytes} bytes)`;
      let note = `${(((bytes / s.medianUs) * 1e6) / 2 ** 20).toFixed(0)} MB/s`;
      if (counting) {
        const ir = await codecInstructions(shape, op, QUICK ? 2000 : Math.max(500, Math.round(2e6 / bytes)));
        results.ratios[`instructions per byte: ${shape} ${op}`] = ir / bytes;
        note += `, ${Math.round(ir)} instructions (${(ir / bytes).toFixed(1)} per byte)`;
      }
      record(name, s, note);
    }
  }
}

/** `--instructions`: the call path's instructions per call under callgrind, ROC against its floor. */
async function instructions() {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('\nInstructions per call: skipped, valgrind is not installed (apt-get install valgrind)');
    return;
  }
  // V8 keeps optimising the call path for thousands of calls: the warm-up is long enough that what is counted is the
  // steady state (a medium call runs the codec's loops a hundred times over, so it gets there sooner).
  const plan = QUICK
    ? { small: { warmup: 3000, n: 1000 }, medium: { warmup: 500, n: 200 } }
    : { small: { warmup: 6000, n: 3000 }, medium: { warmup: 1000, n: 500 } };
  console.log(
    `\nInstructions per call (callgrind; a run of warm-up + n calls less a run of the warm-up alone, client and server each its own process: ${Object.entries(
      plan,
    )
      .map(([size, p]) => `${size} ${p.warmup} + ${p.n}`)
      .join(', ')})`,
  );
  const counts = await countInstructions(plan);
  const k = (v) => `${(v / 1000).toFixed(1)}k`.padStart(8);
  for (const [name, c] of Object.entries(counts)) {
    console.log(`  ${name.padEnd(14)} client ${k(c.client)}  server ${k(c.server)}  both ${k(c.client + c.server)}`);
    results.cases[`instructions: ${name}`] = c;
  }
  for (const size of ['small', 'medium']) {
    const roc = counts[`${size} roc`];
    const floor = counts[`${size} floor`];
    results.ratios[`instructions ${size}: ROC vs floor`] = (roc.client + roc.server) / (floor.client + floor.server);
  }
}

console.log(
  `ROC benchmarks${QUICK ? ' (quick)' : ''} on ${results.machine.cpus} × ${results.machine.model}, ${results.machine.memoryGb} GB, Node ${results.machine.node}, ${results.machine.python}, ${results.machine.java}`,
);
// `--only slim,fanout` runs some sections (while working on one); the targets of the others are then not judged.
const SECTIONS = {
  pairs: callPairs,
  batching,
  fanout: fanOut,
  memory: handlesAndMemory,
  startup,
  slim,
  nemesis,
  streams,
  fitnesse: fitnesseRunner,
  history: historyChecker,
  etcd: etcdFailover,
  ssh: sshFanOut,
  codec,
  instructions,
};
// The instruction counts take minutes under valgrind: they run when asked for, with --instructions or --only instructions.
const only = args.includes('--only')
  ? args[args.indexOf('--only') + 1].split(',')
  : Object.keys(SECTIONS).filter((name) => name !== 'instructions' || args.includes('--instructions'));
for (const name of only) {
  if (!SECTIONS[name]) throw new Error(`--only: no section "${name}"; there are ${Object.keys(SECTIONS).join(', ')}`);
  await SECTIONS[name]();
}

console.log('\nTargets (ratios measured side by side in this run)');
const r = results.ratios;
target('small calls: ROC / floor (speed)', r['small: ROC vs floor'], '>=', 0.85);
target('small calls: ROC / floor (instructions, client + server)', r['instructions small: ROC vs floor'], '<=', 1.3);
target('small calls: ROC / Python->Python (speed)', r['small: ROC vs Python->Python'], '>=', 1.5);
target('medium payloads: ROC / Python->Python (speed)', r['medium: ROC vs Python->Python'], '>=', 3);
target('multicall throughput', r['multicall calls/s'] / 1000, '>=', 30, 'k calls/s');
target('fan-out to 10 guests / one guest (time)', r['fan-out 10 vs 1 (time)'], '<=', 2);
target('fan-out to 10 guests: ROC / node:http floor (time)', r['fan-out 10: ROC vs floor (time)'], '<=', 1.1);
if (r['fan-out 10: ROC vs floor, whole-run medians (time)'] !== undefined)
  console.log(
    `      (turn by turn; the whole run's medians: ${r['fan-out 10: ROC vs floor, whole-run medians (time)'].toFixed(2)}x)`,
  );
for (const [k, v] of Object.entries(r).filter(([k]) => k.startsWith('fan-out 10 vs 1, ')))
  console.log(`      the same fan-out to ${k.slice('fan-out 10 vs 1, '.length, -' (time)'.length)}: ${v.toFixed(2)}x`);
target('agent RSS idle (after 15 s without calls)', r['RSS idle (MB)'], '<=', 50, ' MB');
target('agent RSS growth after the handle cycles', r['RSS growth after cycles (MB)'], '<=', 20, ' MB');
target('agent start-up', r['start-up (ms)'], '<=', 300, ' ms');
target('remote generator / one call per item (rate)', r['remote generator vs one call per item (rate)'], '>=', 10);
target('a followed line, lab guest to host (median)', r['follow latency median (ms)'], '<=', 50, ' ms');
if (r['SLIM 1,000-call batch: roc vs Java'] !== undefined) {
  target(
    'SLIM 1,000-call batch: roc slim / Java SlimService (speed)',
    r['SLIM 1,000-call batch: roc vs Java'],
    '>=',
    1,
  );
  target(
    'SLIM 100 batches of 10: roc slim / Java SlimService (speed)',
    r['SLIM 100 batches of 10: roc vs Java'],
    '>=',
    2,
  );
  console.log(
    `      (the SLIM floor, which answers without reading, is ${r['SLIM 100 batches of 10: floor vs Java'].toFixed(2)}x Java in the same turns)`,
  );
}
target("roc fitnesse / FitNesse's own ?suite run (time)", r['roc fitnesse vs FitNesse ?suite (time)'], '<=', 1.2);
target('history: cas register, 10,000 ops, decided', r['history cas 10k (ms)'], '<=', 1000, ' ms');
target('history: kv, 100,000 ops over 100 keys, decided', r['history kv 100k (ms)'], '<=', 2000, ' ms');
target('history: a 10,000-op history made illegal, counterexample', r['history illegal 10k (ms)'], '<=', 1000, ' ms');
target('history: peak RSS over the checker cases', r['history peak RSS (MB)'], '<=', 500, ' MB');
const outDir = join(root, 'bench-results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'ratios.svg'), svg());
if (args.includes('--json')) writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `\nwrote ${join('bench-results', 'ratios.svg')}${args.includes('--json') ? ' and bench-results/results.json' : ''}`,
);
