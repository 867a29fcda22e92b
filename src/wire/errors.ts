/**
 * Errors of a call that never produced an answer. Each names the endpoint,
 * the guest (when the topology knows it), the method and the cause, and says
 * what to try next.
 */
export interface CallSite {
  /** `host:port` of the agent. */
  readonly endpoint: string;
  /** The XML-RPC method, e.g. `RemoteClass_1a2b3c4d_0.add`. */
  readonly method: string;
  /** The guest's name in the topology, when the call went through one. */
  readonly guest?: string | undefined;
}

export function describeSite(site: CallSite): string {
  return site.guest ? `guest ${site.guest} (${site.endpoint})` : site.endpoint;
}

export class RocError extends Error {
  override name = 'RocError';
  readonly endpoint: string;
  readonly method: string;
  readonly guest: string | undefined;

  constructor(message: string, site: CallSite, options?: { cause?: unknown }) {
    super(message, options);
    this.endpoint = site.endpoint;
    this.method = site.method;
    this.guest = site.guest;
  }
}

export type ConnectionFailure = 'refused' | 'reset' | 'closed' | 'unreachable' | 'dns' | 'tls' | 'other';

/** What happened, in words, and what to try next. */
const FAILURES: Record<ConnectionFailure, { what: string; hint: string }> = {
  refused: { what: 'connection refused', hint: 'nothing listens there: is the agent running and on that port? (roc-agent -m <module> -p <port>)' },
  reset: { what: 'connection reset', hint: 'the connection was reset during the call: the agent may have crashed or been killed; the call may or may not have run, and it was not retried' },
  closed: { what: 'connection closed', hint: 'the agent closed the connection before its answer was complete: it may have crashed or been stopped; the call may or may not have run, and it was not retried' },
  unreachable: { what: 'address unreachable', hint: 'no route to that address: check the host in the topology and the guest network' },
  dns: { what: 'host name not found', hint: 'the host name does not resolve: check the host in the topology' },
  tls: { what: 'TLS handshake failed', hint: 'check the agent certificate and the CA given to the client' },
  other: { what: 'connection failed', hint: 'see the cause' },
};

export class ConnectionError extends RocError {
  override name = 'ConnectionError';
  readonly reason: ConnectionFailure;
  readonly code: string | undefined;

  constructor(site: CallSite, reason: ConnectionFailure, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const detail = code ? `${code}` : (cause as Error | undefined)?.message ?? String(cause);
    const hint = code?.includes('CERTIFICATE_REQUIRED')
      ? 'the agent requires a client certificate: pass tls: { cert, key } to serverProxy'
      : FAILURES[reason].hint;
    super(`${site.method} on ${describeSite(site)} failed: ${FAILURES[reason].what} (${detail}); ${hint}`, site, { cause });
    this.reason = reason;
    this.code = code;
  }
}

/** A call on a proxy after its close(): nothing was sent. */
export class ProxyClosedError extends RocError {
  override name = 'ProxyClosedError';

  constructor(site: CallSite) {
    super(`${site.method} on ${describeSite(site)} was not sent: this proxy was closed (close() was called on it); make a new serverProxy, or reach the guest through guest() again`, site);
  }
}

export class CallTimeoutError extends RocError {
  override name = 'CallTimeoutError';
  readonly timeoutMs: number;

  constructor(site: CallSite, timeoutMs: number) {
    super(
      `${site.method} on ${describeSite(site)} got no answer within ${timeoutMs} ms; the agent may be hung or stopped, or the method slow (raise the client's timeout option); the call may still be running and was not retried`,
      site,
    );
    this.timeoutMs = timeoutMs;
  }
}

export class HttpStatusError extends RocError {
  override name = 'HttpStatusError';
  readonly status: number;
  readonly body: string;
  /** Where the token sent came from (undefined: none was sent). */
  readonly tokenSource: string | undefined;

  constructor(site: CallSite, status: number, body: string, tokenSource?: string) {
    const hint =
      status === 401
        ? tokenSource
          ? `the agent refused the token from ${tokenSource}: it is not the agent's token (roc-agent --token-file; /etc/roc/token on a provisioned guest); give both sides the same token file, and provision the guest again after changing it`
          : 'no token was sent: set token_file in the topology, or ROC_TOKEN, or serverProxy\'s token or tokenFile option'
      : status === 413 ? 'the request is larger than the agent accepts (roc-agent --max-body)'
      : status === 404 ? 'that path serves no XML-RPC: is this a ROC agent?'
      : 'is this a ROC or XML-RPC server?';
    super(`${site.method} on ${describeSite(site)} was refused with HTTP ${status}: ${body.trim().slice(0, 200) || '(no body)'}; ${hint}`, site);
    this.status = status;
    this.body = body;
    this.tokenSource = tokenSource;
  }
}

/** The answer arrived but is not XML-RPC we can read. */
export class ProtocolError extends RocError {
  override name = 'ProtocolError';
  constructor(site: CallSite, detail: string, cause?: unknown) {
    super(`${site.method} on ${describeSite(site)} returned an answer that is not valid XML-RPC: ${detail}`, site, { cause });
  }
}
