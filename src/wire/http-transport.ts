import http from 'node:http';
import https from 'node:https';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { CallTimeoutError, ConnectionError, HttpStatusError, type CallSite, type ConnectionFailure } from './errors.js';

const gunzipAsync = promisify(gunzip);

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Idle connections are dropped by the client well before the agent's idle
 * timeout (60 s): when both sides give up at the same moment, a call can go
 * out on a connection the agent is closing, and fail.
 */
const CLIENT_IDLE_MS = 30_000;
const AGENT_OPTIONS = { keepAlive: true, scheduling: 'lifo' as const, timeout: CLIENT_IDLE_MS };
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface TransportOptions {
  host: string;
  port: number;
  /** Default `/`. */
  path?: string;
  /** Deadline of one call in milliseconds, connecting included (default 30 s). */
  timeout?: number;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** HTTPS; certificates are verified unless rejectUnauthorized is false. */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** The guest's name, carried in errors. */
  guest?: string;
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
  if (err.message === 'socket hang up') return 'closed';
  return 'other';
}

/**
 * POSTs XML-RPC bodies to one endpoint over kept-alive connections. Works
 * with HTTP/1.0 servers that close after each answer (Python's
 * SimpleXMLRPCServer), inflates gzip answers, and never retries: a call is
 * sent at most once.
 */
export class HttpTransport {
  readonly host: string;
  readonly port: number;
  readonly endpoint: string;
  readonly guest: string | undefined;
  readonly timeout: number;
  private readonly path: string;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly headers: Record<string, string>;
  private readonly maxResponseBytes: number;

  constructor(options: TransportOptions) {
    this.host = options.host;
    this.port = options.port;
    this.endpoint = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.guest = options.guest;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.path = options.path ?? '/';
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (options.tls) {
      this.agent = new https.Agent({ ...AGENT_OPTIONS, ...options.tls });
      this.request = https.request;
    } else {
      this.agent = new http.Agent(AGENT_OPTIONS);
      this.request = http.request;
    }
    this.headers = { 'Content-Type': 'text/xml', 'Accept-Encoding': 'gzip', 'User-Agent': 'roc-toolkit' };
    if (options.token) this.headers.Authorization = `Bearer ${options.token}`;
  }

  site(method: string): CallSite {
    return { endpoint: this.endpoint, method, guest: this.guest };
  }

  /** Sends one body and resolves with the answer's text. `method` only names the call in errors. */
  post(body: string, method: string, timeout = this.timeout): Promise<string> {
    const site = this.site(method);
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, text?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(text!);
      };
      const req = this.request({
        host: this.host,
        port: this.port,
        path: this.path,
        method: 'POST',
        agent: this.agent,
        headers: { ...this.headers, 'Content-Length': String(Buffer.byteLength(body, 'utf8')) },
      });
      const timer = setTimeout(() => {
        finish(new CallTimeoutError(site, timeout));
        req.destroy();
      }, timeout);
      req.on('error', (err: NodeJS.ErrnoException) => finish(new ConnectionError(site, classify(err), err)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxResponseBytes) {
            finish(new HttpStatusError(site, res.statusCode ?? 0, `answer larger than ${this.maxResponseBytes} bytes`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) => finish(new ConnectionError(site, classify(err), err)));
        res.on('aborted', () => finish(new ConnectionError(site, 'closed', new Error('answer cut off'))));
        res.on('end', () => {
          if (settled) return;
          const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
          const status = res.statusCode ?? 0;
          const gzipped = /gzip/i.test(String(res.headers['content-encoding'] ?? ''));
          const decode = gzipped ? gunzipAsync(raw, { maxOutputLength: this.maxResponseBytes }) : Promise.resolve(raw);
          decode.then(
            (buf) => {
              const text = buf.toString('utf8');
              if (status !== 200) finish(new HttpStatusError(site, status, text));
              else finish(undefined, text);
            },
            (err: Error) => finish(new HttpStatusError(site, status, `gzip answer could not be inflated: ${err.message}`)),
          );
        });
      });
      // A string body lets Node send headers and body in one write (a Buffer goes out as two, by writev).
      req.end(body, 'utf8');
    });
  }

  /** Closes idle connections; calls still under way finish. */
  close(): void {
    this.agent.destroy();
  }
}
