import { GuestCommandError } from './errors.js';
import { childEnv, GroupChild, whyNotStarted } from './child.js';
import { StreamQueue } from './line-stream.js';
import type { CommandOptions, CommandResult, StreamChunk } from './types.js';

/** A guest command is killed after this long unless its options say otherwise. */
export const COMMAND_TIMEOUT_MS = 60_000;

function check(file: unknown, args: unknown): asserts args is string[] {
  if (typeof file !== 'string' || !file)
    throw new TypeError('command.run needs the program to run, e.g. run("ls", ["-l", "/tmp"])');
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
    throw new TypeError('command.run takes its arguments as a list of strings');
}

const cannotRun = (file: string, options: CommandOptions, err: NodeJS.ErrnoException): string =>
  `cannot run ${file}: ${whyNotStarted(err, options.cwd)}`;

function start(file: string, args: string[], options: CommandOptions): GroupChild {
  return new GroupChild(
    file,
    args,
    {
      cwd: options.cwd,
      env: childEnv(options.env),
      shell: options.shell === true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    },
    options.timeout ?? COMMAND_TIMEOUT_MS,
  );
}

/**
 * Runs a program without a shell (unless options.shell) and reports how it
 * ended; a failing command is a result, not an error. At its timeout the
 * program and everything it started (its process group) get SIGTERM, then
 * SIGKILL after a grace, and the call answers then: a child that outlives it
 * holding its output open does not hold the call.
 */
export async function run(file: string, args: string[] = [], options: CommandOptions = {}): Promise<CommandResult> {
  check(file, args);
  const started = Date.now();
  const g = start(file, args, options);
  const command = [file, ...args].join(' ');
  let stdout = '';
  let stderr = '';
  g.child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  g.child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (options.input !== undefined) g.child.stdin!.end(options.input);
  let failed: NodeJS.ErrnoException | undefined;
  g.child.once('error', (err) => (failed = err));
  const { code, signal } = await g.ended;
  if (failed && code === null && signal === null)
    // The program never ran (not found, not executable, bad cwd): say so rather than report an exit code.
    throw new GuestCommandError(cannotRun(file, options, failed), { command, cause: failed });
  return {
    command,
    exitCode: code,
    signal,
    stdout,
    stderr,
    timedOut: g.timedOut,
    durationMs: Date.now() - started,
  };
}

export function shell(commandLine: string, options: Omit<CommandOptions, 'shell'> = {}): Promise<CommandResult> {
  if (typeof commandLine !== 'string' || !commandLine) throw new TypeError('command.shell needs a command line');
  return run(commandLine, [], { ...options, shell: true });
}

/**
 * Runs a program and yields its output as it comes, as `stdout` and
 * `stderr` chunks, then one `exit` item with its exit code. Leaving the
 * loop early kills it (SIGTERM). No shell unless options.shell.
 */
export async function stream(
  file: string,
  args: string[] = [],
  options: CommandOptions = {},
): Promise<AsyncIterable<StreamChunk>> {
  check(file, args);
  const g = start(file, args, options);
  const child = g.child;
  if (options.input !== undefined) child.stdin!.end(options.input);
  const chunk = (stream: StreamChunk['stream'], data: string): StreamChunk => ({
    stream,
    data,
    exitCode: null,
    signal: null,
  });
  // Leaving the loop stops the program and what it started, with SIGKILL for one that ignores SIGTERM.
  const queue = new StreamQueue<StreamChunk>(() => g.stop());
  queue.add(child.stdout!, (text) => chunk('stdout', text));
  queue.add(child.stderr!, (text) => chunk('stderr', text));
  child.once('error', (err: NodeJS.ErrnoException) =>
    queue.fail(
      new GuestCommandError(cannotRun(file, options, err), { command: [file, ...args].join(' '), cause: err }),
    ),
  );
  child.once('close', (code, signal) => queue.finish(() => ({ stream: 'exit', data: '', exitCode: code, signal })));
  return queue;
}
