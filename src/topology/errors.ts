import { named, RocError } from '../wire/errors.js';

/** A guest name or selector that names nothing in the topology (or in a group); `known` lists what there is. */
export class UnknownGuestError extends RocError {
  static {
    named(this, 'UnknownGuestError');
  }
  /** The name or selector given. */
  readonly selector: string;
  /** The topology file, or undefined for a group's result. */
  readonly file: string | undefined;
  /** The guests (or, for a role, the roles) there are. */
  readonly known: readonly string[];
  constructor(message: string, context: { selector: string; file?: string; known: readonly string[] }) {
    super(message);
    this.selector = context.selector;
    this.file = context.file;
    this.known = context.known;
  }
}

/** No topology file was given and none was found from `cwd` up. */
export class TopologyNotFoundError extends RocError {
  static {
    named(this, 'TopologyNotFoundError');
  }
  readonly cwd: string;
  constructor(message: string, cwd: string) {
    super(message);
    this.cwd = cwd;
  }
}

/** A wait on a guest timed out: `observed` says, for each condition, what the guest saw last. */
export class WaitTimeoutError extends RocError {
  static {
    named(this, 'WaitTimeoutError');
  }
  readonly timeoutMs: number;
  readonly observed: readonly string[];
  constructor(guest: string, endpoint: string, timeoutMs: number, observed: readonly string[], cause: unknown) {
    super(`guest ${guest} (${endpoint}) waited ${timeoutMs} ms in vain for ${observed.join('; ')}`, {
      site: { guest, endpoint, method: 'roc.wait.until' },
      cause,
    });
    this.timeoutMs = timeoutMs;
    this.observed = observed;
  }
}

/** A guest reached over ssh (transport: ssh) could not be started: no node there, an ssh that failed, an agent that exited. */
export class SshGuestError extends RocError {
  static {
    named(this, 'SshGuestError');
  }
  /** What ssh connected to: the topology's host, or its ssh config_host. */
  readonly target: string;
  /** The last of what the guest (or ssh) printed on stderr. */
  readonly stderr: string;
  readonly exitCode: number | null;
  constructor(
    message: string,
    context: { guest: string; target: string; stderr?: string; exitCode?: number | null; cause?: unknown },
  ) {
    super(message, {
      cause: context.cause,
      site: { endpoint: `ssh:${context.target}`, method: 'start', guest: context.guest },
    });
    this.target = context.target;
    this.stderr = context.stderr ?? '';
    this.exitCode = context.exitCode ?? null;
  }
}
