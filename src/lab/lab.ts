import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { labTokenFile, loadTopology, type Guest, type GuestSpec, type Topology } from '../topology/index.js';
import { writeTokenFile } from '../protocol/index.js';
import { retryUntil } from '../wire/index.js';
import { agentCommand, AGENT_CLI } from './launch.js';
import { checkNetnsPossible, createNetns, removeNetns, type NetnsLayout } from './netns.js';
import { LabAgentError, LabError, LabStartError, StopTimeoutError } from './errors.js';

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
  /** Variables added to the environment every agent starts with (for example a PATH with stand-in programs). */
  env?: Readonly<Record<string, string>>;
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
  /** The pid of the agent this lab started, as its state file says. */
  pid: number | null;
  /** That pid is alive and is still this guest's agent (not a pid reused by another program). */
  running: boolean;
  /** Something answered a ping on the guest's endpoint. */
  reachable: boolean;
  /** The pid of whatever agent answered, which may be another lab's or a stray one. */
  answeredBy: number | null;
  /** up: our agent answers; foreign: another agent answers there; not answering: ours runs but is silent; down. */
  state: 'up' | 'foreign' | 'not answering' | 'down';
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

/** One state per topology file: two topologies in one folder are two labs. */
export const labStateFile = (topologyFile: string): string =>
  join(labDir(topologyFile), `${basename(topologyFile)}.state.json`);

/** Where a lab guest's agent writes its output: per topology, so that two labs in a folder never share a log. */
export const labLogFile = (topologyFile: string, guest: string): string =>
  join(labDir(topologyFile), 'logs', basename(topologyFile).replace(/\.ya?ml$/, ''), `${guest}.log`);

/** The one state file of the folder that releases before 0.2 wrote, when it is this topology's. */
const legacyStateFile = (topologyFile: string): string => join(labDir(topologyFile), 'state.json');

export function readLabState(topologyFile: string): LabState | undefined {
  for (const file of [labStateFile(topologyFile), legacyStateFile(topologyFile)]) {
    if (!existsSync(file)) continue;
    const state = JSON.parse(readFileSync(file, 'utf8')) as LabState;
    if (state.topology === topologyFile) return state;
  }
  return undefined;
}

function writeState(state: LabState): void {
  mkdirSync(labDir(state.topology), { recursive: true });
  writeFileSync(labStateFile(state.topology), `${JSON.stringify(state, null, 2)}\n`);
  removeLegacyState(state.topology);
}

function removeLegacyState(topologyFile: string): void {
  const legacy = legacyStateFile(topologyFile);
  try {
    if ((JSON.parse(readFileSync(legacy, 'utf8')) as LabState).topology === topologyFile) rmSync(legacy);
  } catch {
    // none, or another topology's
  }
}

/** Alive: signalable and not a zombie (an exited agent whose parent, gone too, left it to an init that may not reap it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A killed multi-threaded process shows its main thread as a zombie while
  // its other threads still exit and hold its sockets: it is gone only when
  // every thread is a zombie (or dead), and only then is its port free.
  try {
    return readdirSync(`/proc/${pid}/task`).some((tid) => {
      try {
        return !'ZX'.includes(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] ?? 'X');
      } catch {
        return false; // this thread ended while we looked
      }
    });
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Whether pid is still the agent this lab started for a guest: alive, and
 * its command line is roc-agent's with the guest's address. A pid alone is
 * not enough: after the agent died, the system may give it to anything.
 */
export function isLabAgent(pid: number, guest: Pick<LabGuestState, 'host' | 'port'>): boolean {
  if (!isRunning(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return process.platform !== 'linux'; // no /proc to ask: the pid is all there is
  }
  const args = cmdline.split('\0');
  return args.includes(AGENT_CLI) && args.join(' ').includes(`-p ${guest.port} --host ${guest.host}`);
}

function startAgent(
  spec: GuestSpec,
  logFile: string,
  netns: string | undefined,
  extra: readonly string[],
  env: Readonly<Record<string, string>> = {},
): ChildProcess {
  const agentArgs = [
    'serve',
    '-p',
    String(spec.port),
    '--host',
    spec.host,
    ...spec.modules.flatMap((m) => ['-m', m]),
    ...extra,
  ];
  if (spec.tokenFile) agentArgs.push('--token-file', spec.tokenFile);
  const { file, args } = agentCommand(agentArgs);
  const fd = openSync(logFile, 'a');
  // The agent's system.agentLog reads its own part of the log: what it writes past this size.
  const logFrom = fstatSync(fd).size;
  try {
    // In a namespace, the guest also gets a UTS namespace of its own, named after it, as a VM would.
    const [cmd, cmdArgs] = netns
      ? ([
          'ip',
          [
            'netns',
            'exec',
            netns,
            'unshare',
            '--uts',
            'sh',
            '-c',
            'hostname "$0" && exec "$@"',
            spec.name,
            file,
            ...args,
          ],
        ] as const)
      : ([file, args] as const);
    // Detached, in its own process group, so it outlives `roc lab up` and down can stop it.
    const child = spawn(cmd, cmdArgs, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: {
        ...process.env,
        ...env,
        ROC_TOKEN: '',
        ROC_GUEST: spec.name,
        ROC_AGENT_LOG: logFile,
        ROC_AGENT_LOG_FROM: String(logFrom),
      },
    });
    child.unref();
    if (child.pid === undefined)
      throw new LabAgentError(`could not start the agent of guest ${spec.name}: ${cmd} did not start`, {
        guest: spec.name,
        endpoint: `${spec.host}:${spec.port}`,
      });
    return child;
  } finally {
    closeSync(fd);
  }
}

/** The last lines a log got since `from` (its size when this agent started): earlier runs' lines would mislead. */
function tail(file: string, from = 0, lines = 15): string {
  try {
    const text = readFileSync(file).subarray(from).toString('utf8').trimEnd();
    return text
      ? text
          .split('\n')
          .slice(-lines)
          .map((l) => `    | ${l}`)
          .join('\n')
      : '    | (nothing in its log)';
  } catch {
    return '    | (no log)';
  }
}

const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

/** Sends a signal; false when the process is gone already. */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
async function stopPid(pid: number, graceMs = 5_000): Promise<void> {
  const gone = (): boolean => !isRunning(pid);
  if (gone() || !signal(pid, 'SIGTERM')) return;
  try {
    await retryUntil(
      graceMs,
      25,
      gone,
      () => new StopTimeoutError(`pid ${pid} ignored SIGTERM for ${graceMs} ms`, pid, graceMs),
    );
  } catch {
    signal(pid, 'SIGKILL');
    await retryUntil(
      5_000,
      10,
      gone,
      () =>
        new StopTimeoutError(
          `pid ${pid} is still there 5 s after SIGKILL (after ${graceMs} ms of SIGTERM); is it stuck in the kernel (ps -o stat ${pid})?`,
          pid,
          graceMs + 5_000,
        ),
    );
  }
}

/**
 * Starts one agent per guest of the topology on this machine. Running it
 * again starts only the guests whose agent is not running.
 */
export async function labUp(options: LabOptions = {}): Promise<LabState> {
  const log = options.log ?? (() => {});
  let topology: Topology = loadTopology(options.topology);
  const file = topology.file;
  if (options.netns && [...topology.specs.values()].some((s) => !s.tokenFile)) {
    // Agents in namespaces listen off loopback, as root: never without a token. The topology names
    // none, so the lab makes one beside its state (0600), and the host finds it there (labTokenFile).
    const token = labTokenFile(file);
    if (!existsSync(token)) {
      writeTokenFile(token);
      log(`made a token for the lab's agents: ${token} (the topology gives no token_file)`);
    }
    topology.close();
    topology = loadTopology(file);
  }
  const labId = labIdOf(file);
  const previous = readLabState(file);
  if (previous && Boolean(previous.netns) !== Boolean(options.netns)) {
    throw new LabError(
      `a ${previous.netns ? '--netns' : 'loopback'} lab is already up for ${file}; run roc lab down first`,
      file,
    );
  }
  const specs = [...topology.specs.values()];
  let netns = previous?.netns ?? null;
  if (options.netns && !netns) {
    await checkNetnsPossible();
    await removeNetns(labId);
    netns = await createNetns(labId, specs);
    log(
      `made bridge ${netns.bridge} (${netns.gateways.join(', ')}) and namespaces ${Object.values(netns.namespaces).join(', ')}`,
    );
  }
  const state: LabState = { topology: file, labId, netns, guests: [] };
  const started = new Map<string, ChildProcess>();
  const logStart = new Map<string, number>();
  for (const spec of specs) {
    const before = previous?.guests.find((g) => g.name === spec.name);
    if (before && isLabAgent(before.pid, before)) {
      state.guests.push(before);
      continue;
    }
    const logFile = labLogFile(file, spec.name);
    mkdirSync(dirname(logFile), { recursive: true });
    logStart.set(spec.name, sizeOf(logFile));
    const ns = netns?.namespaces[spec.name];
    const child = startAgent(spec, logFile, ns, options.agentArgs ?? [], options.env);
    state.guests.push({
      name: spec.name,
      pid: child.pid!,
      host: spec.host,
      port: spec.port,
      log: logFile,
      ...(ns ? { netns: ns } : {}),
    });
    started.set(spec.name, child);
    log(
      `started ${spec.name} on ${spec.host}:${spec.port} (pid ${child.pid}${ns ? `, netns ${ns}` : ''}); log: ${logFile}`,
    );
  }
  writeState(state);
  const timeout = options.readyTimeoutMs ?? 20_000;
  const ready = await topology.guests().map('lab up', (g) =>
    awaitOwnAgent(
      g,
      state.guests.find((s) => s.name === g.name)!,
      started.get(g.name),
      timeout,
    ),
  );
  topology.close();
  if (!ready.ok) {
    const details = ready.outcomes
      .filter((o) => !o.ok)
      .map(
        (o) =>
          `  ${o.guest}: ${(o as { error: Error }).error.message}\n${tail(state.guests.find((g) => g.name === o.guest)!.log, logStart.get(o.guest))}`,
      )
      .join('\n');
    throw new LabStartError(
      `the lab's agents did not all come up (the others are left running; roc lab down stops them):\n${details}`,
      ready.failed,
    );
  }
  log(`${specs.length === 1 ? 'its guest is' : `all ${specs.length} guests are`} up (${file})`);
  return state;
}

/**
 * Waits until the agent on the guest's endpoint is the one this lab
 * started (its ping names that pid). Fails at once when that agent exits
 * (a module that does not load, a port in use), naming whatever else
 * answers on the address.
 */
async function awaitOwnAgent(
  g: Guest,
  own: LabGuestState,
  child: ChildProcess | undefined,
  timeoutMs: number,
): Promise<void> {
  let exit: string | undefined;
  child?.once('exit', (code, signal) => {
    exit = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  let answeredBy: number | undefined;
  let last: unknown;
  const site = { guest: own.name, endpoint: `${own.host}:${own.port}` };
  await retryUntil(
    timeoutMs,
    50,
    async () => {
      try {
        answeredBy = (await g.ping({ timeout: 1_000 })).pid;
        if (answeredBy === own.pid) return true;
      } catch (err) {
        last = err;
      }
      if (exit !== undefined || (!child && !isLabAgent(own.pid, own))) {
        const holder =
          answeredBy !== undefined
            ? `; another agent (pid ${answeredBy}) answers on ${own.host}:${own.port}: stop it (kill ${answeredBy}, or roc lab down with its topology) and run roc lab up again`
            : '';
        throw new LabAgentError(
          `its agent (pid ${own.pid}) ${exit ? `exited at once (${exit})` : 'is not running'}${holder}`,
          { ...site, pid: own.pid, answeredBy },
        );
      }
      return false;
    },
    () =>
      answeredBy !== undefined
        ? new LabAgentError(
            `another agent (pid ${answeredBy}) answers on ${own.host}:${own.port}, and this lab's agent (pid ${own.pid}) did not answer within ${timeoutMs} ms`,
            { ...site, pid: own.pid, answeredBy },
          )
        : new LabAgentError(
            `its agent (pid ${own.pid}) did not answer within ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`,
            { ...site, pid: own.pid, cause: last },
          ),
  );
}

/**
 * Each guest's agent: running, answering, and whether what answers is this
 * lab's agent. A lab that is not up (no state) is down for every guest, and
 * nothing is asked: its addresses may be gone, and a call to them would go
 * wherever the default route leads.
 */
export async function labStatus(options: { topology?: string } = {}): Promise<LabGuestStatus[]> {
  const topology = loadTopology(options.topology, { checkTokenFiles: false });
  const state = readLabState(topology.file);
  if (!state) {
    topology.close();
    return [...topology.specs.values()].map((s) => ({
      name: s.name,
      endpoint: `${s.host}:${s.port}`,
      pid: null,
      running: false,
      reachable: false,
      answeredBy: null,
      state: 'down',
      error: `the lab is not up (no state for ${topology.file}): roc lab up -t ${topology.file}`,
      log: null,
    }));
  }
  const result = await topology.guests().map('ping()', (g) => g.ping({ timeout: 2_000 }));
  topology.close();
  return result.outcomes.map((o) => {
    const g = state?.guests.find((x) => x.name === o.guest);
    const running = g ? isLabAgent(g.pid, g) : false;
    const answeredBy = o.ok ? o.value.pid : null;
    const ours = o.ok && g !== undefined && answeredBy === g.pid && running;
    return {
      name: o.guest,
      endpoint: o.endpoint,
      pid: g?.pid ?? null,
      running,
      reachable: o.ok,
      answeredBy,
      state: ours ? 'up' : o.ok ? 'foreign' : running ? 'not answering' : 'down',
      error: o.ok
        ? ours
          ? null
          : `another agent (pid ${answeredBy}) answers on ${o.endpoint}; this lab's ${g ? `(pid ${g.pid}) is not running` : 'was never started'}`
        : o.error.message,
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
        if (isLabAgent(g.pid, g)) {
          await stopPid(g.pid);
          done.push(`stopped ${g.name} (pid ${g.pid})`);
        } else if (isRunning(g.pid)) {
          done.push(`${g.name}: pid ${g.pid} is no longer its agent (another program has that pid now); left alone`);
        } else {
          done.push(`${g.name}: its agent (pid ${g.pid}) was not running`);
        }
      }),
    );
  }
  if (state?.netns || (process.getuid?.() === 0 && existsSync('/run/netns'))) {
    const removed = await removeNetns(labIdOf(file)).catch(() => []);
    done.push(...removed.map((r) => `removed ${r}`));
  }
  rmSync(labStateFile(file), { force: true });
  removeLegacyState(file);
  for (const line of done) log(line);
  if (!state) log(`no lab was up for ${file}`);
  return done;
}
