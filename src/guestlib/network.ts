import { readFile } from 'node:fs/promises';
import nodeHttp from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { HttpGetError } from './errors.js';
import { parseProcAddress } from './proc-net.js';
import type { ConnectResult, HttpRequest, HttpResult, ListeningSocket } from './types.js';

const MAX_BODY = 1024 * 1024;

async function table(protocol: ListeningSocket['protocol']): Promise<ListeningSocket[]> {
  let text: string;
  try {
    text = await readFile(`/proc/net/${protocol}`, 'utf8');
  } catch {
    return [];
  }
  // LISTEN for TCP; for UDP, 07 ("close") is a bound socket waiting for datagrams.
  const wanted = protocol.startsWith('tcp') ? '0A' : '07';
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== wanted) continue;
    out.push({ protocol, ...parseProcAddress(cols[1]!) });
  }
  return out;
}

/** Sockets waiting for connections (TCP) or datagrams (UDP), read from /proc/net. */
export async function listening(protocol: 'tcp' | 'udp' = 'tcp'): Promise<ListeningSocket[]> {
  if (protocol !== 'tcp' && protocol !== 'udp') throw new TypeError('network.listening takes "tcp" or "udp"');
  const rows = [...(await table(protocol)), ...(await table(`${protocol}6`))];
  return rows.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

export async function isListening(port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<boolean> {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TypeError('network.isListening needs a port from 1 to 65535');
  return (await listening(protocol)).some((s) => s.port === port);
}

/** Can this guest open a TCP connection to host:port? Never throws for a refusal: that is the answer. */
export function canConnect(host: string, port: number, timeoutMs = 3_000): Promise<ConnectResult> {
  if (typeof host !== 'string' || !host || !Number.isInteger(port))
    throw new TypeError('network.canConnect needs a host and a port');
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (error: string | null): void => {
      socket.destroy();
      resolve({ ok: error === null, ms: Date.now() - started, error });
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(null));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

const METHOD = /^[A-Z]+$/;

/** The body as bytes, and the content type it implies: a string as is, anything else as JSON. */
function encodeBody(body: unknown): { bytes: Buffer; type?: string } | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return { bytes: Buffer.from(body) };
  return { bytes: Buffer.from(JSON.stringify(body)), type: 'application/json' };
}

/**
 * Sends an HTTP request from the guest (any method, headers, a body) and
 * answers the status, headers and up to 1 MB of body. Any status is an
 * answer; only no answer (refused, unreachable, reset, the timeout) is an
 * HttpGetError.
 */
export function http(request: HttpRequest): Promise<HttpResult> {
  if (!request || typeof request !== 'object' || typeof request.url !== 'string')
    throw new TypeError('network.http takes { url, method?, headers?, body?, timeout? }');
  const { url } = request;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`network.http: ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new TypeError(`network.http: ${url} is not an http: or https: URL`);
  const method = (request.method ?? 'GET').toUpperCase();
  if (!METHOD.test(method))
    throw new TypeError(`network.http: ${JSON.stringify(request.method)} is not an HTTP method`);
  const body = encodeBody(request.body);
  const headers: Record<string, string> = { ...request.headers };
  const has = (name: string): boolean => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (body) {
    if (body.type && !has('content-type')) headers['content-type'] = body.type;
    if (!has('content-length')) headers['content-length'] = String(body.bytes.length);
  }
  const send = u.protocol === 'https:' ? https.request : nodeHttp.request;
  const timeout = request.timeout ?? 10_000;
  const started = Date.now();
  const what = `${method} ${url}`;
  return new Promise((resolve, reject) => {
    const req = send(u, { method, headers, timeout }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({
          status: res.statusCode ?? 0,
          headers,
          body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'),
          ms: Date.now() - started,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(new HttpGetError(`${what} got no answer within ${timeout} ms`, { url, code: 'ETIMEDOUT' })),
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err instanceof HttpGetError
          ? err
          : new HttpGetError(`${what} failed: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '), {
              url,
              code: err.code ?? 'EIO',
              cause: err,
            }),
      ),
    );
    req.end(body?.bytes);
  });
}

/** GET a URL from the guest: status, headers and up to 1 MB of body (network.http with GET). */
export function httpGet(
  url: string,
  options: { timeout?: number; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  if (typeof url !== 'string') throw new TypeError('network.httpGet takes a URL');
  return http({ url, method: 'GET', headers: options.headers, timeout: options.timeout });
}
