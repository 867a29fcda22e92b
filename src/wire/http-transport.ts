import { gunzip } from 'node:zlib';
import { inspect, promisify } from 'node:util';
import {
  CallTimeoutError,
  ConnectionError,
  HttpStatusError,
  ProtocolError,
  TransportClosedError,
  XMLRPC_HINTS,
  type CallSite,
  type ConnectionFailure,
  type TransportHints,
} from './errors.js';
import { ClosedBeforeAnswer, Http1Pool, PoolClosed } from './http1-client.js';

const gunzipAsync = promisify(gunzip);

/** A call's deadline when none is given, connecting included. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Idle connections are dropped by the client well before the agent's idle
 * timeout (60 s): when both sides give up at the same moment, a call can go
 * out on a connection the agent is closing, and fail.
 */
const CLIENT_IDLE_MS = 30_000;

export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface TransportOptions {
  host: string;
  port: number;
  /** Default `/`. */
  path?: string;
  /** Deadline of one call in milliseconds, connecting included (default 30 s). */
  timeout?: number;
  /** Where that deadline is set, for the message of a call that passed it (default: the timeout option). */
  timeoutSource?: string;
  /** Sent as `Authorization: Bearer <token>`. Never printed: see tokenSource. */
  token?: string;
  /** Where the token came from (`token_file .roc/token`, `ROC_TOKEN`), for messages; the token itself is never shown. */
  tokenSource?: string;
  /** HTTPS; certificates are verified unless rejectUnauthorized is false. */
  tls?: {
    ca?: string | Buffer;
    cert?: string | Buffer;
    key?: string | Buffer;
    rejectUnauthorized?: boolean;
    servername?: string;
  };
  /** The guest's name, carried in errors. */
  guest?: string;
  /** Headers sent with every request (ROC's client sends its lease here). */
  headers?: Readonly<Record<string, string>>;
  /** What failure messages say to try next (default: XML-RPC's; ROC's client gives ROC's). */
  hints?: TransportHints;
  maxResponseBytes?: number;
}

function classify(err: NodeJS.ErrnoException): ConnectionFailure {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
  }
  if (/^(ERR_TLS|ERR_SSL|CERT_)|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)/.test(err.code ?? '')) return 'tls';
  return 'other';
}

/** An answer: its body as text and its headers (names in lower case). */
export interface TransportAnswer {
  readonly text: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * How a client reaches one endpoint: it posts XML-RPC bodies and gets
 * answers. HttpTransport is the real one; tests may use one in memory.
 */
export interface Transport {
  /** `host:port`, for messages. */
  readonly endpoint: string;
  readonly guest: string | undefined;
  /** The default deadline of one call, ms. */
  readonly timeout: number;
  /** Where the token sent came from, or undefined when none is sent. */
  readonly tokenSource: string | undefined;
  site(method: string): CallSite;
  /** Sends one body; `method` only names the call in errors. Rejects with the errors of errors.ts. */
  post(body: string, method: string, timeout?: number): Promise<TransportAnswer>;
  /** Closes every connection; calls still under way fail, later ones fail with TransportClosedError. */
  close(): void;
}

/**
 * POSTs XML-RPC bodies to one endpoint over kept-alive connections. Works
 * with HTTP/1.0 servers that close after each answer (Python's
 * SimpleXMLRPCServer), inflates gzip answers, and never retries: a call is
 * sent at most once.
 */
export class HttpTransport implements Transport {
  readonly host: string;
  readonly port: number;
  readonly endpoint: string;
  readonly guest: string | undefined;
  readonly timeout: number;
  /** Where the token came from, or undefined when none is sent. */
  readonly tokenSource: string | undefined;
  readonly #pool: Http1Pool;
  // A true private field: util.inspect and JSON.stringify never show it, and it holds the token.
  readonly #requestHead: string;
  readonly #maxResponseBytes: number;
  readonly #hints: TransportHints;
  readonly #timeoutSource: string | undefined;

  constructor(options: TransportOptions) {
    this.host = options.host;
    this.port = options.port;
    this.endpoint = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.guest = options.guest;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.tokenSource = options.token ? (options.tokenSource ?? 'the token option') : undefined;
    this.#pool = new Http1Pool(
      { host: options.host, port: options.port, ...(options.tls ? { tls: options.tls } : {}) },
      CLIENT_IDLE_MS,
      maxBytes,
    );
    // Everything but the length is the same for every call: built once.
    this.#requestHead =
      `POST ${options.path ?? '/'} HTTP/1.1\r\nHost: ${this.endpoint}\r\nContent-Type: text/xml\r\nAccept-Encoding: gzip\r\nUser-Agent: roc-toolkit\r\n` +
      (options.token ? `Authorization: Bearer ${options.token}\r\n` : '') +
      Object.entries(options.headers ?? {})
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
    this.#maxResponseBytes = maxBytes;
    this.#hints = options.hints ?? XMLRPC_HINTS;
    this.#timeoutSource = options.timeoutSource;
  }

  site(method: string): CallSite {
    return { endpoint: this.endpoint, method, guest: this.guest };
  }

  /** Sends one body and resolves with the answer's text. `method` only names the call in errors. */
  post(body: string, method: string, timeout?: number): Promise<TransportAnswer> {
    const source = timeout === undefined ? this.#timeoutSource : undefined;
    timeout ??= this.timeout;
    const site = this.site(method);
    return new Promise<TransportAnswer>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, answer?: TransportAnswer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(answer!);
      };
      let call: ReturnType<Http1Pool['request']>;
      try {
        call = this.#pool.request(
          `${this.#requestHead}Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n`,
          body,
        );
      } catch (err) {
        reject(
          err instanceof PoolClosed
            ? new TransportClosedError(site)
            : new ConnectionError(site, 'other', err, this.#hints),
        );
        return;
      }
      const timer = setTimeout(() => {
        finish(new CallTimeoutError(site, timeout, this.#hints, source));
        call.abort();
      }, timeout);
      call.answer.then(
        (a) => {
          const answered = (buf: Buffer): void => {
            const text = buf.toString('utf8');
            if (a.status !== 200) finish(new HttpStatusError(site, a.status, text, this.tokenSource, this.#hints));
            else finish(undefined, { text, headers: a.headers });
          };
          const encoding = a.headers['content-encoding'];
          // Most answers are not gzipped: those are answered in this turn.
          if (encoding === undefined || !/gzip/i.test(encoding)) {
            answered(a.body);
            return;
          }
          gunzipAsync(a.body, { maxOutputLength: this.#maxResponseBytes }).then(answered, (err: Error) =>
            finish(
              new HttpStatusError(
                site,
                a.status,
                `gzip answer could not be inflated: ${err.message}`,
                this.tokenSource,
                this.#hints,
              ),
            ),
          );
        },
        (err: NodeJS.ErrnoException) => {
          if (err instanceof ClosedBeforeAnswer) finish(new ConnectionError(site, 'closed', err, this.#hints));
          else if (err.code) finish(new ConnectionError(site, classify(err), err, this.#hints));
          else finish(new ProtocolError(site, err.message, err));
        },
      );
    });
  }

  /** Kept-alive connections waiting for the next call. */
  get idleConnections(): number {
    return this.#pool.idleConnections;
  }

  /** Closes every connection; calls still under way fail. */
  close(): void {
    this.#pool.close();
  }

  /** What printing or serializing a transport shows: never the token. */
  toJSON(): { endpoint: string; guest: string | null; token: string | null } {
    return {
      endpoint: this.endpoint,
      guest: this.guest ?? null,
      token: this.tokenSource ? `(from ${this.tokenSource}; not shown)` : null,
    };
  }

  [inspect.custom](): string {
    return `HttpTransport<${this.guest ? `${this.guest} ` : ''}${this.endpoint}${this.tokenSource ? `, token from ${this.tokenSource}` : ''}>`;
  }
}
