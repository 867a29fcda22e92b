import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { basename, join } from 'node:path';
import { childEnv, groupAlive, KILL_GRACE_MS, signalGroup, trackGroup, whyNotStarted } from './child.js';
import { DaemonError } from './errors.js';
import { privateStateDir } from './state-dir.js';
import type { DaemonInfo, DaemonOptions, DaemonStopOptions, DaemonStopResult } from './types.js';

interface Daemon {
  info: DaemonInfo;
  /** Resolves when the program has exited. */
  exited: Promise<void>;
}

/** What this agent started with processes.start, by pid, in the order it started them. */
const daemons = new Map<number, Daemon>();

const SIGNALS = new Set(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGUSR2']);

function check(o: unknown): asserts o is DaemonOptions {
  const x = o as Partial<DaemonOptions> | null;
  if (!x || typeof x !== 'object' || typeof x.command !== 'string' || !x.command)
    throw new TypeError(
      'processes.start needs { command, args?, env?, cwd?, log? }, e.g. start({ command: "etcd", args: ["--name", "n1"] })',
    );
  if (x.args !== undefined && (!Array.isArray(x.args) || x.args.some((a) => typeof a !== 'string')))
    throw new TypeError('processes.start takes its args as a list of strings');
  if (x.env !== undefined && (typeof x.env !== 'object' || Object.values(x.env).some((v) => typeof v !== 'string')))
    throw new TypeError('processes.start takes env as an object of strings');
  for (const k of ['cwd', 'log'] as const)
    if (x[k] !== undefined && (typeof x[k] !== 'string' || !x[k]))
      throw new TypeError(`processes.start takes ${k} as a path`);
}

/** The log of a daemon that names none: a file per daemon in the agent's state folder. */
function defaultLog(command: string): string {
  const state = privateStateDir();
  if (!state)
    throw new DaemonError(
      `cannot start ${command} without a log: the agent has no private state folder to keep one in (see its log); give log: "/path/to/file"`,
      { command },
    );
  const dir = join(state, 'daemons');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(dir, `${basename(command).replace(/[^\w.-]/g, '_')}-${stamp}-${process.pid}-${daemons.size}.log`);
}

/**
 * Starts a program in the background, detached from the call that started
 * it (no timeout, not stopped when that call's caller hangs up), in a
 * process group of its own, its output and errors appended to `log`. It
 * runs until processes.stop, or until the agent stops, which stops it.
 */
export async function start(options: DaemonOptions): Promise<DaemonInfo> {
  check(options);
  const log = options.log ?? defaultLog(options.command);
  let fd: number;
  try {
    fd = openSync(log, 'a', 0o644);
  } catch (err) {
    throw new DaemonError(`cannot start ${options.command}: cannot open its log ${log}: ${(err as Error).message}`, {
      command: options.command,
      cause: err,
    });
  }
  const args = options.args ?? [];
  try {
    const child = spawn(options.command, args, {
      cwd: options.cwd,
      env: childEnv(options.env),
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    const started = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    }).catch((err: NodeJS.ErrnoException) => {
      throw new DaemonError(`cannot start ${options.command}: ${whyNotStarted(err, options.cwd)}`, {
        command: options.command,
        cause: err,
      });
    });
    trackGroup(started, child);
    const info: DaemonInfo = {
      pid: started,
      command: [options.command, ...args].join(' '),
      log,
      alive: true,
      exitCode: null,
      signal: null,
      startedAt: Date.now(),
      exitedAt: null,
    };
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        info.alive = false;
        info.exitCode = code;
        info.signal = signal;
        info.exitedAt = Date.now();
        resolve();
      });
    });
    child.unref();
    daemons.set(started, { info, exited });
    return { ...info };
  } finally {
    closeSync(fd);
  }
}

function daemonOf(pid: unknown, method: string): Daemon {
  if (!Number.isInteger(pid)) throw new TypeError(`processes.${method} takes the pid processes.start answered`);
  const d = daemons.get(pid as number);
  if (!d)
    throw new DaemonError(
      `pid ${String(pid)} was not started by this agent's processes.start (processes.started() lists what was); stop another process with command.run("kill", ...) or the nemesis`,
      { pid: pid as number },
    );
  return d;
}

const within = (p: Promise<void>, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });

/**
 * Stops a program processes.start started, and what it started in turn (its
 * process group): `signal` (default SIGTERM), then SIGKILL after `graceMs`
 * (default 10 s). Answers how it ended; a program that had ended already
 * answers how it had.
 */
export async function stop(pid: number, options: DaemonStopOptions = {}): Promise<DaemonStopResult> {
  const d = daemonOf(pid, 'stop');
  const sig = options.signal ?? 'SIGTERM';
  if (!SIGNALS.has(sig)) throw new TypeError(`processes.stop: signal is one of ${[...SIGNALS].join(', ')}`);
  const graceMs = options.graceMs ?? 10_000;
  if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > 600_000)
    throw new TypeError('processes.stop: graceMs is a whole number of ms from 0 to 600000');
  const started = Date.now();
  let killed = false;
  if (d.info.alive || groupAlive(pid)) {
    signalGroup(pid, sig as NodeJS.Signals);
    if (!(await within(d.exited, graceMs))) {
      killed = true;
      signalGroup(pid, 'SIGKILL');
      if (!(await within(d.exited, KILL_GRACE_MS + 3_000)))
        throw new DaemonError(
          `pid ${pid} (${d.info.command}) is still there ${KILL_GRACE_MS + 3_000} ms after SIGKILL; is it stuck in the kernel (ps -o stat ${pid})?`,
          { pid, command: d.info.command },
        );
    }
    // What it left in its group goes with it.
    if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
  return {
    pid,
    exitCode: d.info.exitCode,
    signal: d.info.signal,
    killed,
    ms: Date.now() - started,
  };
}

/** What this agent started with processes.start, oldest first, and whether each is still alive. */
export async function started(): Promise<DaemonInfo[]> {
  return [...daemons.values()].map((d) => ({ ...d.info }));
}
