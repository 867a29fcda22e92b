import { defaultTopology, loadTopology, type Topology } from './topology.js';
import type { Guest } from './guest.js';
import type { DaemonInfo } from '../guestlib/types.js';

/** The last lines of one log of one guest, or why they could not be read. */
export interface LogExcerpt {
  readonly guest: string;
  /** `agent` for the agent's own output (its journal, or its lab log), else the file's path on the guest. */
  readonly source: string;
  readonly lines: readonly string[];
  /** Why nothing was read (the agent down, the file missing); lines is empty then. */
  readonly error?: string;
}

export interface GuestLogOptions {
  /** The topology (default: the one guest() uses), or its file. */
  topology?: Topology | string;
  /** Which guests (a selector as guests() takes; default all). */
  guests?: string;
  /** Lines per log (default 30). */
  lines?: number;
  /** How long each read may take, in ms (default 5000): a guest cut off by a fault must not hold the report up. */
  timeout?: number;
}

const DEFAULT_LINES = 30;
const DEFAULT_TIMEOUT_MS = 5_000;

async function excerpt(guest: Guest, source: string, method: string, args: unknown[], timeout: number) {
  try {
    const lines = await guest.proxy.callWith<string[]>(method, args, { timeout });
    return { guest: guest.name, source, lines };
  } catch (err) {
    return { guest: guest.name, source, lines: [], error: err instanceof Error ? err.message : String(err) };
  }
}

const ended = (d: DaemonInfo): string =>
  d.alive ? 'running' : d.signal ? `ended by ${d.signal}` : `exited ${String(d.exitCode)}`;

/** The logs of the programs the guest's agent started in the background (processes.start), but those `logs:` lists. */
async function daemonLogs(g: Guest, lines: number, timeout: number): Promise<LogExcerpt[]> {
  let daemons: DaemonInfo[];
  try {
    daemons = await g.proxy.callWith<DaemonInfo[]>('roc.processes.started', [], { timeout });
  } catch {
    return []; // the agent down (its own excerpt says so) or too old to start daemons
  }
  const logs = new Map<string, DaemonInfo>();
  for (const d of daemons) if (!g.spec.logs.includes(d.log)) logs.set(d.log, d);
  return Promise.all(
    [...logs].map(([log, d]) =>
      excerpt(
        g,
        `${log} (${d.command.split(' ')[0]}, pid ${d.pid}, ${ended(d)})`,
        'roc.files.tail',
        [log, lines],
        timeout,
      ),
    ),
  );
}

/**
 * The last lines of each guest's agent output, of every log its topology
 * entry lists (`logs:`) and of every program its agent started in the
 * background (processes.start), read on the guests in parallel. Never rejects: a log
 * that cannot be read says why instead.
 */
export async function guestLogs(options: GuestLogOptions = {}): Promise<LogExcerpt[]> {
  const topology =
    typeof options.topology === 'string' ? loadTopology(options.topology) : (options.topology ?? defaultTopology());
  const lines = options.lines ?? DEFAULT_LINES;
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const reads = topology
    .guests(options.guests)
    .members.flatMap((g) => [
      excerpt(g, 'agent', 'roc.system.agentLog', [lines], timeout),
      ...g.spec.logs.map((path) => excerpt(g, path, 'roc.files.tail', [path, lines], timeout)),
      daemonLogs(g, lines, timeout),
    ]);
  const all = (await Promise.all(reads)).flat();
  if (typeof options.topology === 'string') topology.close();
  return all;
}

/** Excerpts as a report shows them: a heading per log, its lines indented under it. */
export function formatLogs(excerpts: readonly LogExcerpt[]): string {
  return excerpts
    .map((e) => {
      const head = `--- ${e.guest}: ${e.source}`;
      if (e.error !== undefined) return `${head} (not read: ${e.error})`;
      if (!e.lines.length) return `${head} (empty)`;
      return `${head} (last ${e.lines.length} line${e.lines.length === 1 ? '' : 's'})\n${e.lines.map((l) => `    ${l}`).join('\n')}`;
    })
    .join('\n');
}

/**
 * Wraps a test so that, when it fails, its error carries the guests' last log
 * lines: `test('failover', withGuestLogs(async (t) => { ... }))`. The lines go
 * into the error's message, so every reporter (JUnit too) shows them with the
 * failure they explain.
 */
export function withGuestLogs<A extends unknown[]>(
  fn: (...args: A) => unknown,
  options: GuestLogOptions = {},
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      let logs: string;
      try {
        logs = formatLogs(await guestLogs(options));
      } catch {
        throw err; // no topology to read logs from: the failure as it was
      }
      appendToMessage(err, `\n\nThe guests' logs when it failed:\n${logs}`);
      throw err;
    }
  };
}

/** Adds text to an error's message and to the message its stack begins with (which reporters print). */
function appendToMessage(err: Error, text: string): void {
  const before = err.message;
  err.message = before + text;
  if (err.stack) {
    const at = err.stack.indexOf(before);
    if (before && at >= 0)
      err.stack = err.stack.slice(0, at + before.length) + text + err.stack.slice(at + before.length);
  }
}
