import { named, RocError } from '../wire/errors.js';

/**
 * A program the guest library runs (systemctl, journalctl, the user's own)
 * could not run, or failed where failing is an error. Its context is in
 * fields, which the agent sends with the fault (RemoteError.remoteFields).
 */
export class GuestCommandError extends RocError {
  static {
    named(this, 'GuestCommandError');
  }
  /** The command line as run. */
  readonly command: string;
  /** Its exit code; null when it never ran or was killed. */
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(
    message: string,
    context: { command: string; exitCode?: number | null; stderr?: string; cause?: unknown },
  ) {
    super(message, { cause: context.cause });
    this.command = context.command;
    this.exitCode = context.exitCode ?? null;
    this.stderr = context.stderr ?? '';
  }
}

/** processes.start could not start its program, or stop was given a pid it did not start. */
export class DaemonError extends RocError {
  static {
    named(this, 'DaemonError');
  }
  readonly command: string | null;
  readonly pid: number | null;
  constructor(message: string, context: { command?: string; pid?: number; cause?: unknown }) {
    super(message, { cause: context.cause });
    this.command = context.command ?? null;
    this.pid = context.pid ?? null;
  }
}

/** network.httpGet got no answer: refused, unreachable, reset, or none within the timeout. */
export class HttpGetError extends RocError {
  static {
    named(this, 'HttpGetError');
  }
  readonly url: string;
  /** The system's error code (ECONNREFUSED, ...), or ETIMEDOUT when the timeout passed. */
  readonly code: string;

  constructor(message: string, context: { url: string; code: string; cause?: unknown }) {
    super(message, { cause: context.cause });
    this.url = context.url;
    this.code = context.code;
  }
}

/**
 * The nemesis will not make a fault here, and says why and what to do: a
 * peer that is this guest's own address (guests that share one network
 * stack), the controlling host's address, the agent's own process, a clock
 * it must not move, a kernel without the queueing discipline a delay needs.
 */
export class FaultRefusedError extends RocError {
  static {
    named(this, 'FaultRefusedError');
  }
  /** A short, stable reason: `shared-stack`, `controller`, `agent-process`, `no-process`, `clock-shared`, `no-qdisc`, `no-firewall`, `permission`, `qdisc-taken`, `bad-argument`. */
  readonly reason: string;
  constructor(message: string, reason: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** A wait on the guest whose condition did not hold in time; `observed` has each condition's last state, one line each. */
export class WaitTimeoutError extends RocError {
  static {
    named(this, 'WaitTimeoutError');
  }
  readonly timeoutMs: number;
  readonly observed: readonly string[];
  constructor(message: string, timeoutMs: number, observed: readonly string[]) {
    super(message);
    this.timeoutMs = timeoutMs;
    this.observed = observed;
  }
}

/** The caller of a wait or a long poll hung up before it ended: what ran on its behalf was stopped. Nobody reads it. */
export class CallerGoneError extends RocError {
  static {
    named(this, 'CallerGoneError');
  }
  constructor() {
    super('the caller went away before the answer; what ran for it was stopped');
  }
}
