/**
 * The root of every error ROC throws, and the errors of a call that never
 * produced an answer. Each names the endpoint, the peer (a guest, when the
 * caller knows one), the method and the cause, and says what to try next;
 * what to try is the caller's to word (TransportHints): this layer knows
 * XML-RPC over HTTP, not what is at the other end.
 */
export interface CallSite {
  /** `host:port` of the server. */
  readonly endpoint: string;
  /** The XML-RPC method, e.g. `RemoteClass_1a2b3c4d_0.add`. */
  readonly method: string;
  /** The guest's name in the topology, when the call went through one. */
  readonly guest?: string | undefined;
}

export function describeSite(site: CallSite): string {
  return site.guest ? `guest ${site.guest} (${site.endpoint})` : site.endpoint;
}

/** Sets an error class's name on its prototype, so no instance carries it as an own field (and none sends it twice). */
export function named(cls: abstract new (...args: never[]) => Error, name: string): void {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
}

/**
 * Everything ROC throws is a RocError. Errors of a call carry where it
 * went (endpoint, method, guest); the others carry their own context as
 * fields (the file and line of a topology, the command and exit code of a
 * guest command, ...), and the cause.
 */
export class RocError extends Error {
  static {
    named(this, 'RocError');
  }

  /**
   * What node prints for an uncaught error: its stack, then its fields that
   * are set, with errors among them (the cause, each refusal) as one line
   * each: their own stacks repeat what the message already says.
   */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    const shown: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this)) if (value !== undefined) shown[key] = brief(value, 0);
    if (this.cause !== undefined) shown.cause = brief(this.cause, 0);
    const head = this.stack ?? `${this.name}: ${this.message}`;
    return Object.keys(shown).length ? `${head} ${inspect(shown, { ...options, depth: 4 })}` : head;
  }
  /** `host:port` of the agent, for an error of a call. */
  readonly endpoint: string | undefined;
  /** The XML-RPC method, for an error of a call. */
  readonly method: string | undefined;
  /** The guest's name, when the topology knows it. */
  readonly guest: string | undefined;

  constructor(message: string, context: { site?: CallSite; cause?: unknown } = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.endpoint = context.site?.endpoint;
    this.method = context.site?.method;
    this.guest = context.site?.guest;
  }
}

/** A field as an uncaught error shows it: errors as `Name: first line of the message`, containers walked. */
function brief(value: unknown, level: number): unknown {
  if (value instanceof Error) return `${value.name}: ${value.message.split('\n')[0]}`;
  if (level > 3 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => brief(v, level + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && !(Symbol.for('nodejs.util.inspect.custom') in value))
    return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, brief(v, level + 1)]));
}

export type ConnectionFailure = 'refused' | 'reset' | 'closed' | 'unreachable' | 'dns' | 'tls' | 'other';

/** What to try next, for each way a call can fail before its answer; ROC's client gives its own words. */
export interface TransportHints {
  connection(reason: ConnectionFailure, code: string | undefined): string;
  status(status: number, tokenSource: string | undefined): string;
  /** `source`: where the deadline that passed is set (`timeout: in roc.yml`), when not by the call itself. */
  timeout(source?: string): string;
}

/** Hints that know only XML-RPC over HTTP. */
export const XMLRPC_HINTS: TransportHints = {
  connection: (reason, code) =>
    code?.includes('CERTIFICATE_REQUIRED')
      ? 'the server requires a client certificate: give the transport tls: { cert, key }'
      : {
          refused: 'nothing listens there: is the server running and on that port?',
          reset:
            'the connection was reset during the call: the server may have crashed or been killed; the call may or may not have run, and it was not retried',
          closed:
            'the server closed the connection before its answer was complete: it may have crashed or been stopped; the call may or may not have run, and it was not retried',
          unreachable: 'no route to that address: check the host',
          dns: 'the host name does not resolve: check the host',
          tls: 'check the server certificate and the CA given to the client',
          other: 'see the cause',
        }[reason],
  status: (status) =>
    status === 401
      ? 'the server wants credentials'
      : status === 413
        ? 'the request is larger than the server accepts'
        : status === 404
          ? 'that path serves no XML-RPC'
          : 'is this an XML-RPC server?',
  timeout: (source) =>
    `the server may be hung or stopped, or the method slow (raise ${source ?? 'the timeout'}); the call may still be running and was not retried`,
};

const WHAT: Record<ConnectionFailure, string> = {
  refused: 'connection refused',
  reset: 'connection reset',
  closed: 'connection closed',
  unreachable: 'address unreachable',
  dns: 'host name not found',
  tls: 'TLS handshake failed',
  other: 'connection failed',
};

export class ConnectionError extends RocError {
  static {
    named(this, 'ConnectionError');
  }
  readonly reason: ConnectionFailure;
  readonly code: string | undefined;

  constructor(site: CallSite, reason: ConnectionFailure, cause: unknown, hints: TransportHints = XMLRPC_HINTS) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const detail = code ? `${code}` : ((cause as Error | undefined)?.message ?? String(cause));
    super(
      `${site.method} on ${describeSite(site)} failed: ${WHAT[reason]} (${detail}); ${hints.connection(reason, code)}`,
      { site, cause },
    );
    this.reason = reason;
    this.code = code;
  }
}

/** A call on a transport after its close(): nothing was sent. */
export class TransportClosedError extends RocError {
  static {
    named(this, 'TransportClosedError');
  }
  constructor(site: CallSite) {
    super(`${site.method} on ${describeSite(site)} was not sent: the transport was closed`, { site });
  }
}

export class CallTimeoutError extends RocError {
  static {
    named(this, 'CallTimeoutError');
  }
  readonly timeoutMs: number;

  constructor(site: CallSite, timeoutMs: number, hints: TransportHints = XMLRPC_HINTS, timeoutSource?: string) {
    super(
      `${site.method} on ${describeSite(site)} got no answer within ${timeoutMs} ms; ${hints.timeout(timeoutSource)}`,
      {
        site,
      },
    );
    this.timeoutMs = timeoutMs;
  }
}

export class HttpStatusError extends RocError {
  static {
    named(this, 'HttpStatusError');
  }
  readonly status: number;
  readonly body: string;
  /** Where the token sent came from (undefined: none was sent). */
  readonly tokenSource: string | undefined;

  constructor(
    site: CallSite,
    status: number,
    body: string,
    tokenSource?: string,
    hints: TransportHints = XMLRPC_HINTS,
  ) {
    super(
      `${site.method} on ${describeSite(site)} was refused with HTTP ${status}: ${body.trim().slice(0, 200) || '(no body)'}; ${hints.status(status, tokenSource)}`,
      { site },
    );
    this.status = status;
    this.body = body;
    this.tokenSource = tokenSource;
  }
}

/** The answer arrived but is not XML-RPC we can read. */
export class ProtocolError extends RocError {
  static {
    named(this, 'ProtocolError');
  }
  readonly detail: string;
  constructor(site: CallSite, detail: string, cause?: unknown) {
    super(`${site.method} on ${describeSite(site)} returned an answer that is not valid XML-RPC: ${detail}`, {
      site,
      cause,
    });
    this.detail = detail;
  }
}
