import { InvalidArgumentError } from 'commander';
import { named, RocError } from '../wire/index.js';
/** Prints a one-line error for the user and exits; the stack only with ROC_DEBUG set. */
export function fail(message: string, error?: unknown, code = 1): never {
  process.stderr.write(`${message}\n`);
  if (process.env.ROC_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(code);
}

/**
 * A command's action whose failure the user reads as `<command>: <message>`
 * and exit code 1, never as a stack (ROC_DEBUG shows it).
 */
export function reported<A extends unknown[]>(
  command: string,
  action: (...args: A) => unknown,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      fail(`${command}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  };
}

/** Options that cannot go together or need what this machine lacks; the message says which and what to do. */
export class UsageError extends RocError {
  static {
    named(this, 'UsageError');
  }
  /** The option at fault, as typed (`--runner`). */
  readonly option: string;
  constructor(message: string, option: string) {
    super(message);
    this.option = option;
  }
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`bad port ${JSON.stringify(value)}: expected a number from 0 to 65535`);
  return port;
}

export function parsePositiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`bad ${what} ${JSON.stringify(value)}: expected a whole number`);
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
