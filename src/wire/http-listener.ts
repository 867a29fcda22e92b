import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { gunzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { decodeDocument, type DecodeOptions } from './decode.js';
import { encodeFault, encodeResponse, type EncodeOptions } from './encode.js';
import { DecodeError, EncodeError, FaultCode, XmlRpcFault } from './fault.js';
import type { XmlRpcValue } from './values.js';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** What the listener knows of the request, for the dispatcher. */
export interface CallContext {
  /** The request's headers (names in lower case). */
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
  /** Aborted when the caller goes away before its answer is sent (its connection closed). */
  readonly signal?: AbortSignal;
}

/** An answer to one XML-RPC request, before HTTP: the document, extra headers, and whether to close the connection. */
export interface XmlRpcAnswer {
  readonly xml: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly closeConnection: boolean;
}

export interface CallOutcome {
  value: unknown;
  /** How to encode this answer (for example to turn objects into handles). */
  encodeOptions?: EncodeOptions;
  /** Close the connection after this answer (shutdown() answers this way). */
  closeConnection?: boolean;
  /** Extra HTTP headers for the answer. */
  headers?: Readonly<Record<string, string>>;
}

export interface XmlRpcListenerOptions {
  /** Runs one decoded call. Throw an XmlRpcFault to answer with that fault. */
  dispatch: (methodName: string, params: XmlRpcValue[], context: CallContext) => Promise<CallOutcome> | CallOutcome;
  /** Turns anything else the dispatcher throws into a fault. */
  toFault?: (error: unknown) => XmlRpcFault;
  /** Paths that answer XML-RPC (default `/` and `/RPC2`, as Python's SimpleXMLRPCServer). */
  paths?: readonly string[];
  /** Bodies past this size get 413 before the rest is read (default 16 MiB). */
  maxBodyBytes?: number;
  decodeOptions?: DecodeOptions;
  /** Answers at least this large are gzipped for clients that accept it; off when undefined. */
  gzipThreshold?: number;
  /** While true, answers carry `Connection: close` so clients do not reuse a connection about to go away. */
  closing?: () => boolean;
  /** Checked before the body is read; return an HTTP status and message to refuse the request. */
  admit?: (
    request: IncomingMessage,
  ) => { status: number; message: string; headers?: Record<string, string> } | undefined;
}

/**
 * A request's context. Its signal is made when first asked for: most calls
 * never ask, and an AbortController with a close listener on every request
 * is a measurable share of a small call.
 */
class RequestContext implements CallContext {
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
  readonly #res: ServerResponse;
  readonly #socket: IncomingMessage['socket'];
  #gone: AbortController | undefined;

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.headers = req.headers;
    this.#socket = req.socket;
    this.remoteAddress = req.socket.remoteAddress ?? '';
    this.#res = res;
  }

  /** Aborted when the caller hangs up before its answer is sent: long waits and polls on its behalf end with it. */
  get signal(): AbortSignal {
    if (!this.#gone) {
      const gone = (this.#gone = new AbortController());
      const res = this.#res;
      // The connection may have closed already (Node 18's ServerResponse has no `closed`; its request's socket tells).
      if (res.destroyed || this.#socket.destroyed) {
        if (!res.writableFinished) gone.abort();
      } else
        res.once('close', () => {
          if (!res.writableFinished) gone.abort();
        });
    }
    return this.#gone.signal;
  }
}

function plain(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function defaultToFault(error: unknown): XmlRpcFault {
  if (error instanceof XmlRpcFault) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  return new XmlRpcFault(FaultCode.INTERNAL_ERROR, `${err.name}: ${err.message}`);
}

/**
 * An HTTP request listener that speaks XML-RPC: POST only, bounded bodies,
 * every bad call answered with HTTP 200 and a fault, as XML-RPC peers expect.
 */
export function createXmlRpcListener(
  options: XmlRpcListenerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const paths = new Set(options.paths ?? ['/', '/RPC2']);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  /**
   * Answers a request we will not serve. A body, if any, is not read: the
   * connection is closed after the answer instead (an unauthenticated
   * client must not make the agent read 50 MB).
   */
  const refuse = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ): void => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) {
      req.resume();
      plain(res, status, message, headers);
      return;
    }
    res.shouldKeepAlive = false;
    plain(res, status, message, { ...headers, Connection: 'close' });
    res.on('finish', () => req.socket.destroy());
  };

  const tooLarge = (req: IncomingMessage, res: ServerResponse): void =>
    refuse(req, res, 413, `request body larger than ${maxBody} bytes; the agent's limit is set with --max-body`);

  return (req, res) => {
    if (req.method !== 'POST') {
      refuse(req, res, 405, `XML-RPC takes POST, not ${req.method}`, { Allow: 'POST' });
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (!paths.has(path)) {
      refuse(req, res, 404, `no XML-RPC endpoint at ${path}; use ${[...paths].join(' or ')}`);
      return;
    }
    const refused = options.admit?.(req);
    if (refused) {
      refuse(req, res, refused.status, refused.message, refused.headers);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBody) {
      tooLarge(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > maxBody) {
        aborted = true;
        req.pause();
        tooLarge(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      aborted = true;
    });
    req.on('end', () => {
      if (aborted) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      void answer(req, res, body).catch((err) => {
        // Only a failure to write the answer gets here; the peer is gone or broken.
        res.destroy(err instanceof Error ? err : undefined);
      });
    });
  };

  async function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const {
      xml,
      headers: extraHeaders,
      closeConnection,
    } = await answerXmlRpc(raw, new RequestContext(req, res), options);
    // A string answer lets Node send headers and body in one write; gzip needs bytes.
    let payload: string | Buffer = xml;
    let length = Buffer.byteLength(xml, 'utf8');
    const headers: Record<string, string | number> = { 'Content-Type': 'text/xml' };
    if (extraHeaders) for (const name in extraHeaders) headers[name] = extraHeaders[name]!;
    if (
      options.gzipThreshold !== undefined &&
      length >= options.gzipThreshold &&
      /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    ) {
      payload = await gzipAsync(Buffer.from(xml, 'utf8'));
      length = payload.length;
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = length;
    if (closeConnection || options.closing?.()) {
      headers.Connection = 'close';
      res.shouldKeepAlive = false;
    }
    res.writeHead(200, headers);
    res.end(payload);
  }
}

/**
 * Answers one XML-RPC request body: decodes it (inflating a gzip body),
 * dispatches the call, encodes the result, and turns every failure into a
 * fault. What the HTTP listener does past the transport, and what an
 * in-memory transport uses without one.
 */
export async function answerXmlRpc(
  raw: Buffer,
  context: CallContext,
  options: Pick<XmlRpcListenerOptions, 'dispatch' | 'toFault' | 'maxBodyBytes' | 'decodeOptions'>,
): Promise<XmlRpcAnswer> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let xml: string;
  let closeConnection = false;
  let headers: Readonly<Record<string, string>> | undefined;
  try {
    let body = raw;
    const encoding = String(context.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'gzip') {
      try {
        body = await gunzipAsync(raw, { maxOutputLength: maxBody });
      } catch (err) {
        throw new XmlRpcFault(
          FaultCode.PARSE_ERROR,
          `parse error: gzip body could not be inflated within ${maxBody} bytes: ${(err as Error).message}`,
        );
      }
    } else if (encoding !== 'identity') {
      throw new XmlRpcFault(
        FaultCode.UNSUPPORTED_ENCODING,
        `unsupported Content-Encoding ${encoding}; send identity or gzip`,
      );
    }
    let doc;
    try {
      doc = decodeDocument(body.toString('utf8'), options.decodeOptions);
    } catch (err) {
      if (err instanceof DecodeError) throw new XmlRpcFault(err.faultCode, `parse error: ${err.message}`);
      throw err;
    }
    if (doc.kind !== 'call')
      throw new XmlRpcFault(FaultCode.INVALID_REQUEST, 'invalid request: expected <methodCall>, got <methodResponse>');
    const outcome = await options.dispatch(doc.methodName, doc.params, context);
    closeConnection = outcome.closeConnection === true;
    headers = outcome.headers;
    try {
      xml = encodeResponse(outcome.value, outcome.encodeOptions);
    } catch (err) {
      if (err instanceof EncodeError) {
        const message = `${doc.methodName} returned a value XML-RPC cannot carry: ${err.message}`;
        throw new XmlRpcFault(
          FaultCode.APPLICATION,
          `TypeError: ${message}`,
          Object.assign(Object.create(null), { name: 'TypeError', message }),
        );
      }
      throw err;
    }
  } catch (err) {
    xml = encodeFault((options.toFault ?? defaultToFault)(err));
  }
  return { xml, headers, closeConnection };
}
