import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTopology, type GuestSpec, type Topology } from '../topology/index.js';
import { checkNetnsPossible, createNetns, removeNetns, type NetnsLayout } from './netns.js';

const agentBin = fileURLToPath(new URL('../cli/roc-agent.js', import.meta.url));

/** Node flags agents run with: a 2 MB young generation bounds memory growth under bursts of calls. */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=2'];

export interface LabOptions {
  /** The topology file (default: ROC_TOPOLOGY or roc.yml). */
  topology?: string;
  /** Each guest in its own network namespace on a bridge (root). */
  netns?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
  /** How long each agent gets to answer (default 20 s). */
  readyTimeoutMs?: number;
  /** Extra arguments for every agent (for example --call-timeout 5000). */
  agentArgs?: readonly string[];
}

export interface LabGuestState {
  name: string;
  pid: number;
  host: string;
  port: number;
  log: string;
  netns?: string;
}

export interface LabState {
  topology: string;
  labId: string;
  netns: NetnsLayout | null;
  guests: LabGuestState[];
}

export interface LabGuestStatus {
  name: string;
  endpoint: string;
  pid: number | null;
  running: boolean;
  reachable: boolean;
  error: string | null;
  log: string | null;
}

/** Short and stable per topology file: names the state folder's contents and the netns links. */
export function labIdOf(topologyFile: string): string {
  return createHash('sha256').update(topologyFile).digest('hex').slice(0, 6);
}

export function labDir(topologyFile: string): string {
  return join(dirname(topologyFile), '.roc', 'lab');
}

const stateFile = (topologyFile: string): string => join(labDir(topologyFile), 'state.json');

export function readLabState(topologyFile: string): LabState | undefined {
  const file = stateFile(topologyFile);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabState;
}

function writeState(state: LabState): void {
  mkdirSync(labDir(state.topology), { recursive: true });
  writeFileSync(stateFile(state.topology), `${JSON.stringify(state, null, 2)}\n`);
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function startAgent(spec: GuestSpec, logFile: string, netns: string | undefined, extra: readonly string[]): number {
  // The same Node flags as the systemd unit (provisioning/roc-agent.service).
  const args = [...AGENT_NODE_FLAGS, agentBin, 'serve', '-p', String(spec.port), '--host', spec.host, ...spec.modules.flatMap((m) => ['-m', m]), ...extra];
  if (spec.tokenFile) args.push('--token-file', spec.tokenFile);
  // A namespace address is off loopback; without a token in the topology the agent needs leave to listen there.
  else if (netns) args.push('--insecure');
  const fd = openSync(logFile, 'a');
  try {
    // In a namespace, the guest also gets a UTS namespace of its own, named after it, as a VM would.
    const [cmd, cmdArgs] = netns
      ? (['ip', ['netns', 'exec', netns, 'unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', spec.name, process.execPath, ...args]] as const)
      : ([process.execPath, args] as const);
    // Detached, in its own process group, so it outlives `roc lab up` and down can stop it.
    const child = spawn(cmd, cmdArgs, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ROC_TOKEN: '', ROC_GUEST: spec.name } });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start the agent of guest ${spec.name}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    | ${l}`).join('\n');
  } catch {
    return '    | (no log)';
  }
}

async function stopPid(pid: number, graceMs = 5_000): Promise<void> {
  if (!isRunning(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (isRunning(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    while (isRunning(pid)) await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Starts one agent per guest of the topology on this machine. Running it
 * again starts only the guests whose agent is not running.
 */
export async function labUp(options: LabOptions = {}): Promise<LabState> {
  const log = options.log ?? (() => {});
  const topology: Topology = loadTopology(options.topology);
  const file = topology.file;
  const dir = labDir(file);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const labId = labIdOf(file);
  const previous = readLabState(file);
  if (previous && Boolean(previous.netns) !== Boolean(options.netns)) {
    throw new Error(`a ${previous.netns ? '--netns' : 'loopback'} lab is already up for ${file}; run roc lab down first`);
  }
  const specs = [...topology.specs.values()];
  let netns = previous?.netns ?? null;
  if (options.netns && !netns) {
    await checkNetnsPossible();
    await removeNetns(labId);
    netns = await createNetns(labId, specs);
    log(`made bridge ${netns.bridge} (${netns.gateways.join(', ')}) and namespaces ${Object.values(netns.namespaces).join(', ')}`);
  }
  const state: LabState = { topology: file, labId, netns, guests: [] };
  const started: string[] = [];
  for (const spec of specs) {
    const before = previous?.guests.find((g) => g.name === spec.name);
    if (before && isRunning(before.pid)) {
      state.guests.push(before);
      continue;
    }
    const logFile = join(dir, 'logs', `${spec.name}.log`);
    const ns = netns?.namespaces[spec.name];
    const pid = startAgent(spec, logFile, ns, options.agentArgs ?? []);
    state.guests.push({ name: spec.name, pid, host: spec.host, port: spec.port, log: logFile, ...(ns ? { netns: ns } : {}) });
    started.push(spec.name);
    log(`started ${spec.name} on ${spec.host}:${spec.port} (pid ${pid}${ns ? `, netns ${ns}` : ''}); log: ${logFile}`);
  }
  writeState(state);
  const ready = await topology.guests().map('waitUntilReady()', (g) => (started.includes(g.name) ? g.waitUntilReady({ timeout: options.readyTimeoutMs ?? 20_000, interval: 50 }) : g.ping()));
  topology.close();
  if (!ready.ok) {
    const details = ready.outcomes
      .filter((o) => !o.ok)
      .map((o) => `  ${o.guest}: ${(o as { error: Error }).error.message}\n${tail(state.guests.find((g) => g.name === o.guest)!.log)}`)
      .join('\n');
    throw new Error(`the lab's agents did not all come up (the others are left running; roc lab down stops them):\n${details}`);
  }
  log(`lab up: ${specs.length} guest(s) from ${file}`);
  return state;
}

/** Each guest's agent: running, and answering. */
export async function labStatus(options: { topology?: string } = {}): Promise<LabGuestStatus[]> {
  const topology = loadTopology(options.topology, { checkTokenFiles: false });
  const state = readLabState(topology.file);
  const result = await topology.guests().map('ping()', (g) => g.ping({ timeout: 2_000 }));
  topology.close();
  return result.outcomes.map((o) => {
    const g = state?.guests.find((x) => x.name === o.guest);
    return {
      name: o.guest,
      endpoint: o.endpoint,
      pid: g?.pid ?? null,
      running: g ? isRunning(g.pid) : false,
      reachable: o.ok,
      error: o.ok ? null : o.error.message,
      log: g?.log ?? null,
    };
  });
}

/** Stops every agent of the lab and removes its namespaces and links; leaves the logs. */
export async function labDown(options: { topology?: string; log?: (line: string) => void } = {}): Promise<string[]> {
  const log = options.log ?? (() => {});
  const topology = loadTopology(options.topology, { checkTokenFiles: false });
  const file = topology.file;
  const state = readLabState(file);
  const done: string[] = [];
  if (state) {
    await Promise.all(
      state.guests.map(async (g) => {
        const was = isRunning(g.pid);
        await stopPid(g.pid);
        if (was) done.push(`stopped ${g.name} (pid ${g.pid})`);
      }),
    );
  }
  if (state?.netns || (process.getuid?.() === 0 && existsSync('/run/netns'))) {
    const removed = await removeNetns(labIdOf(file)).catch(() => []);
    done.push(...removed.map((r) => `removed ${r}`));
  }
  rmSync(stateFile(file), { force: true });
  for (const line of done) log(line);
  if (!state) log(`no lab was up for ${file}`);
  return done;
}
