/** Prints a one-line error for the user and exits; the stack only with ROC_DEBUG set. */
export function fail(message: string, error?: unknown, code = 1): never {
  process.stderr.write(`${message}\n`);
  if (process.env.ROC_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(code);
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535)
    throw new Error(`bad port ${JSON.stringify(value)}: expected a number from 0 to 65535`);
  return port;
}

export function parsePositiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value)) throw new Error(`bad ${what} ${JSON.stringify(value)}: expected a whole number`);
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
