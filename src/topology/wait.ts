import type { WaitCondition, WirePattern } from '../guestlib/types.js';

const pattern = (re: RegExp | string): WirePattern =>
  typeof re === 'string'
    ? { source: re.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags: '' }
    : { source: re.source, flags: re.flags };

/** Names a process whose state a timed-out wait reports (running, with its pids, or not). */
interface Watching {
  process?: string;
}

/**
 * Conditions a guest waits for on its own machine, in one call however long
 * it lasts: `await guest('kv1').waitFor(Wait.logLine('/var/log/kv.log', /ready/), { timeout: '10s' })`.
 */
export const Wait = {
  /**
   * A line matching `re` (a string matches literally), `times` times, in a
   * file or in a unit's journal. By default lines already in the file, or
   * logged since the unit's last start, count; `from: 'end'` counts only new ones.
   */
  logLine(
    source: string | { unit: string },
    re: RegExp | string,
    options: Watching & { times?: number; from?: 'start' | 'end' } = {},
  ): WaitCondition {
    const times = options.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new TypeError(`Wait.logLine: times is a whole number from 1, got ${times}`);
    return {
      kind: 'logLine',
      ...(typeof source === 'string' ? { path: source } : { unit: source.unit }),
      pattern: pattern(re),
      times,
      from: options.from ?? 'start',
      ...(options.process ? { process: options.process } : {}),
    };
  },
  /** Something listening on the port (on the guest), or accepting connections at `host`. */
  port(port: number, options: Watching & { host?: string } = {}): WaitCondition {
    return {
      kind: 'port',
      port,
      ...(options.host ? { host: options.host } : {}),
      ...(options.process ? { process: options.process } : {}),
    };
  },
  /**
   * An HTTP request from the guest (GET unless `method` says) answering
   * `status` (default 200), with a body matching `bodyMatches` if given. A
   * `body` that is not a string is sent as JSON.
   */
  http(
    url: string,
    options: Watching & {
      status?: number;
      bodyMatches?: RegExp | string;
      method?: string;
      body?: unknown;
      headers?: Record<string, string>;
    } = {},
  ): WaitCondition {
    const json = options.body !== undefined && typeof options.body !== 'string';
    const headers = json ? { 'content-type': 'application/json', ...options.headers } : options.headers;
    return {
      kind: 'http',
      url,
      status: options.status ?? 200,
      ...(options.method ? { method: options.method.toUpperCase() } : {}),
      ...(options.body !== undefined ? { body: json ? JSON.stringify(options.body) : (options.body as string) } : {}),
      ...(headers ? { headers } : {}),
      ...(options.bodyMatches !== undefined ? { bodyMatches: pattern(options.bodyMatches) } : {}),
      ...(options.process ? { process: options.process } : {}),
    };
  },
  /** A process with this pid runs on the guest (a daemon processes.start started, say). */
  process(pid: number): WaitCondition {
    return { kind: 'process', pid };
  },
  /** No process with this pid runs on the guest any more. */
  exited(pid: number): WaitCondition {
    return { kind: 'exited', pid };
  },
  /** A shell command line exiting with `exitCode` (default 0). */
  command(line: string, options: Watching & { exitCode?: number } = {}): WaitCondition {
    return {
      kind: 'command',
      line,
      exitCode: options.exitCode ?? 0,
      ...(options.process ? { process: options.process } : {}),
    };
  },
  /** A systemd unit in a state (default `active`, as `systemctl is-active` says it). */
  service(unit: string, state = 'active'): WaitCondition {
    return { kind: 'service', unit, state };
  },
  /** A file that exists. */
  file(path: string, options: Watching = {}): WaitCondition {
    return { kind: 'file', path, ...(options.process ? { process: options.process } : {}) };
  },
  /** Every condition at once. */
  all(...of: WaitCondition[]): WaitCondition {
    return { kind: 'all', of };
  },
  /** Any one of the conditions. */
  any(...of: WaitCondition[]): WaitCondition {
    return { kind: 'any', of };
  },
} as const;
