import { describeSite, named, RocError, type CallSite, type XmlRpcFault, type XmlRpcStruct } from '../wire/index.js';
import { FaultCode } from '../protocol/index.js';

/**
 * The remote side threw: served code raised an exception, or the agent
 * refused the call. Carries the remote class name, message and stack as the
 * agent sent them, and where the call went.
 */
export class RemoteError extends RocError {
  static {
    named(this, 'RemoteError');
  }
  /** The remote exception's class name, e.g. `TypeError` (for Python peers, parsed from `<class 'ValueError'>`). */
  readonly remoteName: string;
  readonly remoteMessage: string;
  declare readonly remoteStack: string | undefined;
  /** The remote error's `code` property, if it had one. */
  readonly remoteCode: string | number | undefined;
  readonly faultCode: number;
  declare readonly faultString: string;
  /** The remote error's own data fields (an exit code, a file, ...), as its thrower set them. */
  readonly remoteFields: Readonly<XmlRpcStruct>;
  /** Every member of the fault struct as received. */
  declare readonly fault: XmlRpcStruct;

  constructor(site: CallSite, fault: XmlRpcFault, options?: { cause?: unknown }) {
    const extra = fault.extra;
    const python = /^<class '([^']+)'>:([\s\S]*)$/.exec(fault.faultString);
    const remoteName = typeof extra.name === 'string' ? extra.name : python ? python[1]!.split('.').pop()! : 'Fault';
    const remoteMessage = typeof extra.message === 'string' ? extra.message : python ? python[2]! : fault.faultString;
    super(`${site.method} on ${describeSite(site)} failed: ${remoteName}: ${remoteMessage}`, {
      site,
      cause: options?.cause,
    });
    this.remoteName = remoteName;
    this.remoteMessage = remoteMessage;
    // In the stack already (below): not printed a second time as a field.
    Object.defineProperty(this, 'remoteStack', {
      value: typeof extra.stack === 'string' ? extra.stack : undefined,
      enumerable: false,
    });
    this.remoteCode = typeof extra.code === 'string' || typeof extra.code === 'number' ? extra.code : undefined;
    this.remoteFields =
      extra.fields &&
      typeof extra.fields === 'object' &&
      !Array.isArray(extra.fields) &&
      !(extra.fields instanceof Date) &&
      !(extra.fields instanceof Uint8Array)
        ? (extra.fields as XmlRpcStruct)
        : Object.create(null);
    this.faultCode = fault.faultCode;
    // Readable, but not shown when the error is printed: they repeat the message and the remote fields.
    Object.defineProperty(this, 'faultString', { value: fault.faultString, enumerable: false });
    Object.defineProperty(this, 'fault', { value: fault.toStruct(), enumerable: false });
    if (this.remoteStack)
      this.stack = `${this.stack}\n    --- remote stack on ${describeSite(site)} ---\n${this.remoteStack}`;
  }
}

/** The handle was made by an earlier run of the agent, which has since restarted: the object is gone. */
export class StaleHandleError extends RemoteError {
  static {
    named(this, 'StaleHandleError');
  }
}

/** The handle was released (or never existed) on the agent. */
export class UnknownHandleError extends RemoteError {
  static {
    named(this, 'UnknownHandleError');
  }
}

/** The agent has no such method, or the object no such public method. */
export class MethodNotFoundError extends RemoteError {
  static {
    named(this, 'MethodNotFoundError');
  }
}

/** The agent serves no class of that name; `available` lists what it serves. */
export class UnknownClassError extends RocError {
  static {
    named(this, 'UnknownClassError');
  }
  readonly className: string;
  readonly available: readonly string[];
  constructor(site: CallSite, className: string, available: readonly string[], options?: { cause?: unknown }) {
    super(
      `no class ${JSON.stringify(className)} on ${describeSite(site)}; it serves ${available.length ? available.join(', ') : 'no classes'}`,
      { site, cause: options?.cause },
    );
    this.className = className;
    this.available = available;
  }
}

/** A call on a proxy after its close(): nothing was sent. */
export class ProxyClosedError extends RocError {
  static {
    named(this, 'ProxyClosedError');
  }
  constructor(site: CallSite) {
    super(
      `${site.method} on ${describeSite(site)} was not sent: this proxy was closed (close() was called on it); make a new serverProxy, or reach the guest through guest() again`,
      { site },
    );
  }
}

/** A proxy used after release(): nothing was sent. */
export class ReleasedProxyError extends RocError {
  static {
    named(this, 'ReleasedProxyError');
  }
  readonly handle: string;
  constructor(site: CallSite, handle: string) {
    super(`${site.method}: ${handle} on ${describeSite(site)} was released by this client; create a new instance`, {
      site,
    });
    this.handle = handle;
  }
}

export function remoteErrorFor(site: CallSite, fault: XmlRpcFault): RemoteError {
  switch (fault.faultCode) {
    case FaultCode.STALE_HANDLE:
      return new StaleHandleError(site, fault);
    case FaultCode.UNKNOWN_HANDLE:
      return new UnknownHandleError(site, fault);
    case FaultCode.METHOD_NOT_FOUND:
      return new MethodNotFoundError(site, fault);
    default:
      return new RemoteError(site, fault);
  }
}

/** waitUntilReady() gave up: the agent did not answer in time; `cause` is the last failure. */
export class AgentNotReadyError extends RocError {
  static {
    named(this, 'AgentNotReadyError');
  }
  readonly timeoutMs: number;
  constructor(site: CallSite, timeoutMs: number, last: unknown) {
    super(
      `the agent at ${describeSite(site)} did not answer within ${timeoutMs} ms; last error: ${last instanceof Error ? last.message : String(last)}`,
      { site, cause: last },
    );
    this.timeoutMs = timeoutMs;
  }
}
