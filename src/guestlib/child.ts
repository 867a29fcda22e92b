import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { callSignal } from './call-context.js';

/** How long a program stopped with SIGTERM has before its whole process group gets SIGKILL. */
export const KILL_GRACE_MS = 2_000;

/** What the agent keeps from the programs it starts: its own secrets. */
const SECRETS = ['ROC_TOKEN'];

/** The environment of a program the agent starts: the agent's, less its secrets, plus what the caller gave. */
export function childEnv(extra?: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of SECRETS) if (!extra || !(name in extra)) delete env[name];
  return env;
}

/** Why a program the library started never ran, in words: no such program, no such working folder, or the system's reason. */
export function whyNotStarted(err: NodeJS.ErrnoException, cwd: string | undefined): string {
  if (err.code !== 'ENOENT') return err.message;
  return cwd && err.path === cwd ? `no such directory ${cwd}` : "no such program on the guest's PATH";
}

/** Helpers the guest library runs for its own work (a journal follower): no fault ever targets them. */
export const helperPids = new Set<number>();

/**
 * Every process group the agent started (commands, daemons) that may still
 * have a member: a program it ran may have left something in the background
 * (`command.shell('server &')`), and that goes with the agent too.
 */
const groups = new Set<number>();

/** Records a group the agent started; forgets it once nothing is left in it. */
export function trackGroup(pgid: number | undefined, child: ChildProcess): void {
  if (!pgid) return;
  groups.add(pgid);
  child.once('close', () => {
    if (!groupAlive(pgid)) groups.delete(pgid);
  });
}

/** Whether any process is left in the group. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals a whole group; a group already gone is fine. */
export function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // gone
  }
}

/**
 * A program in a process group of its own, so that stopping it stops what it
 * started too (a shell's children, a pipeline): SIGTERM to the group, then
 * SIGKILL to the group after a grace; so it is stopped at its timeout, and
 * when the caller of the call that started it hangs up before the answer.
 * `ended` resolves when the program has exited and its output has been read
 * to the end, or, when something it started outlives it holding the output
 * open, a grace after its exit.
 */
export class GroupChild {
  readonly child: ChildProcess;
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** It was stopped because its timeout passed. */
  timedOut = false;
  #killTimer: NodeJS.Timeout | undefined;
  #exited = false;

  constructor(file: string, args: readonly string[], options: SpawnOptions, timeoutMs: number) {
    this.child = spawn(file, args, { ...options, detached: true });
    trackGroup(this.child.pid, this.child);
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.stop();
    }, timeoutMs);
    timer.unref();
    const caller = callSignal();
    const hungUp = (): void => this.stop();
    caller?.addEventListener('abort', hungUp, { once: true });
    // A caller that hung up before the command started: it does not run on for nobody.
    if (caller?.aborted) queueMicrotask(hungUp);
    this.ended = new Promise((resolve) => {
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      const done = (): void => {
        clearTimeout(timer);
        clearTimeout(this.#killTimer);
        caller?.removeEventListener('abort', hungUp);
        resolve(exit ?? { code: null, signal: null });
      };
      this.child.once('exit', (code, signal) => {
        this.#exited = true;
        exit = { code, signal };
        // What it started may still hold its output open: that output is not waited for past a grace.
        const late = setTimeout(() => {
          this.child.stdout?.destroy();
          this.child.stderr?.destroy();
          this.signal('SIGKILL');
          done();
        }, KILL_GRACE_MS);
        late.unref();
        this.child.once('close', () => {
          clearTimeout(late);
          done();
        });
      });
      this.child.once('error', () => {
        if (!this.#exited) done();
      });
    });
    // A program that stops reading its input is not the agent's error.
    this.child.stdin?.on('error', () => {});
  }

  /** Signals the whole group; a group already gone is fine. */
  signal(sig: NodeJS.Signals): void {
    if (this.child.pid) signalGroup(this.child.pid, sig);
  }

  /** SIGTERM to the group now, SIGKILL to the group after the grace if it has not ended. */
  stop(): void {
    this.signal('SIGTERM');
    if (this.#killTimer) return;
    this.#killTimer = setTimeout(() => this.signal('SIGKILL'), KILL_GRACE_MS);
    this.#killTimer.unref();
  }
}

/**
 * Stops every process group the agent started that still has a member (the
 * agent is stopping): SIGTERM, then SIGKILL to what is left after the grace.
 * Resolves when every group is empty.
 */
export async function stopAllChildren(graceMs = KILL_GRACE_MS): Promise<void> {
  const left = (): number[] => [...groups].filter(groupAlive);
  for (const g of left()) signalGroup(g, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (left().length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  for (const g of left()) signalGroup(g, 'SIGKILL');
  while (left().length && Date.now() < until + KILL_GRACE_MS) await new Promise((r) => setTimeout(r, 20));
  groups.clear();
}
