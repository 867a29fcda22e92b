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
