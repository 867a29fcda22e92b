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

/** Helpers the guest library runs for its own work (a journal follower): no fault ever targets them. */
export const helperPids = new Set<number>();

/** Every program the agent started in a group of its own and has not seen end: stopped when the agent stops. */
const running = new Set<GroupChild>();

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
    running.add(this);
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.stop();
    }, timeoutMs);
    timer.unref();
    const caller = callSignal();
    const hungUp = (): void => this.stop();
    caller?.addEventListener('abort', hungUp, { once: true });
    this.ended = new Promise((resolve) => {
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      const done = (): void => {
        running.delete(this);
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
    const pid = this.child.pid;
    if (!pid) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // gone
    }
  }

  /** SIGTERM to the group now, SIGKILL to the group after the grace if it has not ended. */
  stop(): void {
    this.signal('SIGTERM');
    if (this.#killTimer) return;
    this.#killTimer = setTimeout(() => this.signal('SIGKILL'), KILL_GRACE_MS);
    this.#killTimer.unref();
  }
}

/** Stops every program the agent started and is still running (the agent is stopping). */
export function stopAllChildren(): void {
  for (const c of running) c.signal('SIGKILL');
  running.clear();
}
