import { loadTopology } from '../topology/index.js';
import { captureOutput, converse, serveSocket, type ExecutorOptions } from '../slim/index.js';
import { fail } from './exit.js';

export interface SlimFlags {
  verbose?: boolean;
  statementTimeout?: string;
  daemon?: boolean;
  host?: string;
}

/**
 * `roc slim [-v] [-s seconds] [-d] [port]`, as FitNesse's SlimService:
 * port 1 (the default) speaks on stdin/stdout, any other listens there.
 */
export async function runSlim(portArg: string | undefined, flags: SlimFlags): Promise<void> {
  const port = portArg === undefined ? 1 : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`roc slim: bad port ${JSON.stringify(portArg)}; FitNesse appends the port, 1 for stdin/stdout`);
  const timeout = flags.statementTimeout === undefined ? undefined : Number(flags.statementTimeout);
  if (timeout !== undefined && !(timeout > 0))
    fail(`roc slim: -s takes a number of seconds, got ${JSON.stringify(flags.statementTimeout)}`);
  const capture = captureOutput();
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const options: ExecutorOptions = {
    statementTimeoutSec: timeout,
    // Remote fixtures (guest.Class) need a topology; without one they are simply unknown classes.
    topology: () => loadTopology(),
    verbose: flags.verbose ? log : undefined,
  };
  try {
    if (port === 1) {
      process.stdin.resume();
      await converse(process.stdin, capture.protocol, options);
    } else {
      await serveSocket({
        ...options,
        port,
        host: flags.host,
        daemon: flags.daemon,
        onListening: (a) => flags.verbose && log(`roc slim listening on ${a.address}:${a.port}`),
      });
    }
  } catch (err) {
    capture.restore();
    fail(`roc slim: ${(err as Error).message}`, err);
  }
  capture.restore();
  process.exit(0);
}
