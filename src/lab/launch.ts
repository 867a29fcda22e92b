import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '../protocol/index.js';
import { AGENT_BUNDLE } from '../topology/ssh-transport.js';
import { RocError, named } from '../wire/index.js';

export { AGENT_BUNDLE };

/** roc-agent's command-line entry, as built (dist/src/cli/roc-agent.js). */
export const AGENT_CLI = fileURLToPath(new URL('../cli/roc-agent.js', import.meta.url));

/** How to start an agent as the systemd unit does: node with the agents' flags, the agent program, its arguments. */
export function agentCommand(args: readonly string[], program = AGENT_CLI): { file: string; args: string[] } {
  return { file: process.execPath, args: [...AGENT_NODE_FLAGS, program, ...args] };
}

/** An agent started by launchAgent, until it exits. */
export interface LaunchedAgent extends AsyncDisposable {
  readonly child: ChildProcess;
  /** The port it listens on, read from its `Listening on` line. */
  readonly port: number;
  /** Lines it printed on stdout so far. */
  readonly lines: string[];
  /** What it printed on stderr so far (empty when stderr was inherited). */
  stderr(): string;
  /** Its exit code (-1 for a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, and the exit. */
  stop(): Promise<number | null>;
}

/** An agent process that exited before it listened; its stderr says why. */
export class AgentLaunchError extends RocError {
  static {
    named(this, 'AgentLaunchError');
  }
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly args: readonly string[];
  constructor(args: readonly string[], exitCode: number | null, stderr: string) {
    super(
      `roc-agent ${args.join(' ')} exited with ${exitCode} before listening: ${stderr.trim() || '(nothing on stderr)'}`,
    );
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.args = args;
  }
}

/**
 * Starts roc-agent as a process of its own and resolves once it listens
 * (its `Listening on` line, which `-q` would silence): the one way the
 * CLIs, the tests and the benchmarks start an agent they wait for.
 */
export function launchAgent(
  args: readonly string[],
  options: {
    program?: string;
    env?: NodeJS.ProcessEnv;
    stderr?: 'pipe' | 'inherit';
    onLine?: (line: string) => void;
  } = {},
): Promise<LaunchedAgent> {
  const command = agentCommand(args, options.program);
  const stdio: StdioOptions = ['ignore', 'pipe', options.stderr ?? 'pipe'];
  const child = spawn(command.file, command.args, { stdio, env: options.env ?? process.env });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return new Promise<LaunchedAgent>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      options.onLine?.(line);
      const m = /Listening on https?:\/\/[^ ]+:(\d+)\//.exec(line);
      if (!m) return;
      const stop = (): Promise<number | null> => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited;
      };
      resolve({
        child,
        port: Number(m[1]),
        lines,
        stderr: () => stderr,
        exited,
        stop,
        [Symbol.asyncDispose]: async () => void (await stop()),
      });
    });
    void exited.then((code) => reject(new AgentLaunchError(args, code, stderr)));
  });
}
