import { loadExeca } from './execa.js';
import { GuestCommandError } from './errors.js';
import { spawn } from 'node:child_process';
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

/** Runs a program without a shell (unless options.shell) and reports how it ended; a failing command is a result, not an error. */
export async function run(file: string, args: string[] = [], options: CommandOptions = {}): Promise<CommandResult> {
  check(file, args);
  const started = Date.now();
  const { execa } = await loadExeca();
  const result = await execa(file, args, {
    reject: false,
    cwd: options.cwd,
    env: options.env,
    timeout: options.timeout ?? COMMAND_TIMEOUT_MS,
    input: options.input,
    shell: options.shell === true,
    stripFinalNewline: false,
    encoding: 'utf8',
  });
  if (result.failed && result.exitCode === undefined && !result.timedOut && !result.signal) {
    // The program never ran (not found, not executable, bad cwd): say so rather than report an exit code.
    const cause = result.cause as NodeJS.ErrnoException | undefined;
    throw new GuestCommandError(
      `cannot run ${file}: ${cause?.code === 'ENOENT' ? (options.cwd && cause.path === options.cwd ? `no such directory ${options.cwd}` : "no such program on the guest's PATH") : result.shortMessage}`,
      { command: result.command, cause },
    );
  }
  return {
    command: result.command,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    timedOut: result.timedOut,
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
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    shell: options.shell === true,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: options.timeout ?? COMMAND_TIMEOUT_MS,
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const chunk = (stream: StreamChunk['stream'], data: string): StreamChunk => ({
    stream,
    data,
    exitCode: null,
    signal: null,
  });
  const queue = new StreamQueue<StreamChunk>(() => child.kill('SIGTERM'));
  queue.add(child.stdout!, (text) => chunk('stdout', text));
  queue.add(child.stderr!, (text) => chunk('stderr', text));
  child.once('error', (err: NodeJS.ErrnoException) =>
    queue.fail(
      new GuestCommandError(
        `cannot run ${file}: ${err.code === 'ENOENT' ? (options.cwd && err.path === options.cwd ? `no such directory ${options.cwd}` : "no such program on the guest's PATH") : err.message}`,
        { command: [file, ...args].join(' '), cause: err },
      ),
    ),
  );
  child.once('close', (code, signal) => queue.finish(() => ({ stream: 'exit', data: '', exitCode: code, signal })));
  return queue;
}
