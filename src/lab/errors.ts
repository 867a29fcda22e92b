import { named, RocError } from '../wire/errors.js';

/** Something about the lab as a whole (its topology file says where), such as a lab of the other kind already up. */
export class LabError extends RocError {
  static {
    named(this, 'LabError');
  }
  /** The topology file of the lab. */
  readonly topology: string;
  constructor(message: string, topology: string, options?: { cause?: unknown }) {
    super(message, options);
    this.topology = topology;
  }
}

/** Some agents of the lab did not come up; `guests` names them, and the message has each one's reason and log. */
export class LabStartError extends RocError {
  static {
    named(this, 'LabStartError');
  }
  readonly guests: readonly string[];
  constructor(message: string, guests: readonly string[]) {
    super(message);
    this.guests = guests;
  }
}

/** One guest's agent of the lab did not start, exited, or is not the one that answers on its address. */
export class LabAgentError extends RocError {
  static {
    named(this, 'LabAgentError');
  }
  /** The pid the lab started. */
  readonly pid: number | undefined;
  /** The pid of another agent that answers on the guest's address, when one does. */
  readonly answeredBy: number | undefined;
  constructor(
    message: string,
    context: { guest: string; endpoint: string; pid?: number; answeredBy?: number; cause?: unknown },
  ) {
    super(message, {
      site: { guest: context.guest, endpoint: context.endpoint, method: 'ping' },
      cause: context.cause,
    });
    this.pid = context.pid;
    this.answeredBy = context.answeredBy;
  }
}

/** A process the lab stopped is still there after SIGTERM's grace period and SIGKILL. */
export class StopTimeoutError extends RocError {
  static {
    named(this, 'StopTimeoutError');
  }
  readonly pid: number;
  readonly waitedMs: number;
  constructor(message: string, pid: number, waitedMs: number) {
    super(message);
    this.pid = pid;
    this.waitedMs = waitedMs;
  }
}

/** A network-namespace lab cannot be made: not root, no iproute2, an address that cannot go on a bridge, or an ip command that failed. */
export class NetnsError extends RocError {
  static {
    named(this, 'NetnsError');
  }
  /** The ip command that failed, when one did. */
  readonly command: string | undefined;
  readonly stderr: string;
  constructor(message: string, context: { command?: string; stderr?: string; cause?: unknown } = {}) {
    super(message, { cause: context.cause });
    this.command = context.command;
    this.stderr = context.stderr ?? '';
  }
}
