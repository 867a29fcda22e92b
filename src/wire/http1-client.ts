import net from 'node:net';
import tls from 'node:tls';
import { named, RocError } from './errors.js';

/**
 * A minimal HTTP/1.1 client for XML-RPC POSTs on kept-alive connections.
 * Node's http.request spends more per call than a whole round trip of the
 * agent (ClientRequest, the agent's bookkeeping, a parser per request);
 * this writes each request in one piece and reads the answer with a small
 * parser: status line, headers, then a Content-Length body, a chunked body,
 * or (HTTP/1.0 servers such as Python's) everything until the server closes.
 */
export interface Http1Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Http1Target {
  host: string;
  port: number;
  tls?: tls.ConnectionOptions;
}

/** The server closed the connection (a FIN, not a reset) before its answer was complete. */
export class ClosedBeforeAnswer extends RocError {
  static {
    named(this, 'ClosedBeforeAnswer');
  }
  constructor(readonly receivedBytes: number) {
    super(receivedBytes ? `after ${receivedBytes} bytes of the answer` : 'before any byte of an answer');
  }
}

/** An answer that is not HTTP/1 as this client reads it, or breaks a limit; the transport reports it as a ProtocolError. */
export class MalformedAnswer extends RocError {
  static {
    named(this, 'MalformedAnswer');
  }
}

/** request() on a pool after close(): nothing was sent. */
export class PoolClosed extends RocError {
  static {
    named(this, 'PoolClosed');
  }
  constructor() {
    super('the connection pool was closed');
  }
}

class Parser {
  private buf: Buffer = Buffer.alloc(0);
  private status = 0;
  private headers: Record<string, string> = {};
  private headerDone = false;
  private length = -1;
  private chunked = false;
  private untilClose = false;
  private chunks: Buffer[] = [];
  private received = 0;
  keepAlive = true;

  constructor(private readonly maxBytes: number) {}

  /** Feeds bytes; returns the answer once complete. Throws on a malformed or oversized answer. */
  push(data: Buffer): Http1Answer | undefined {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    if (!this.headerDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > 64 * 1024) throw new MalformedAnswer('answer headers larger than 64 KiB');
        return undefined;
      }
      const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
      if (!m) throw new MalformedAnswer(`not an HTTP answer: ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
      this.buf = this.buf.subarray(end + 4);
      const status = Number(m[2]);
      if (status >= 100 && status < 200) return this.buf.length ? this.push(Buffer.alloc(0)) : undefined; // 100 Continue: the real answer follows
      this.status = status;
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const connection = (this.headers.connection ?? '').toLowerCase();
      this.keepAlive = m[1] === '1' ? connection !== 'close' : connection === 'keep-alive';
      this.chunked = /\bchunked\b/i.test(this.headers['transfer-encoding'] ?? '');
      if (!this.chunked && this.headers['content-length'] !== undefined)
        this.length = Number(this.headers['content-length']);
      else if (!this.chunked) {
        this.untilClose = true;
        this.keepAlive = false;
      }
      if (this.length > this.maxBytes) throw new MalformedAnswer(`answer larger than ${this.maxBytes} bytes`);
      this.headerDone = true;
    }
    if (this.length >= 0) {
      if (this.buf.length < this.length) return undefined;
      const body = this.buf.subarray(0, this.length);
      return { status: this.status, headers: this.headers, body };
    }
    if (this.chunked) return this.readChunks();
    this.received += this.buf.length;
    if (this.received > this.maxBytes) throw new MalformedAnswer(`answer larger than ${this.maxBytes} bytes`);
    this.chunks.push(this.buf);
    this.buf = Buffer.alloc(0);
    return undefined;
  }

  private readChunks(): Http1Answer | undefined {
    for (;;) {
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) return undefined;
      const size = parseInt(this.buf.subarray(0, eol).toString('latin1').split(';')[0]!, 16);
      if (Number.isNaN(size)) throw new MalformedAnswer('bad chunk size in a chunked answer');
      if (size === 0) {
        // The last chunk: then an empty line, or trailer lines ending in one.
        const rest = this.buf.subarray(eol + 2);
        const bare = rest.length >= 2 && rest[0] === 13 && rest[1] === 10;
        if (!bare && rest.indexOf('\r\n\r\n') < 0) return undefined;
        return { status: this.status, headers: this.headers, body: Buffer.concat(this.chunks) };
      }
      if (this.buf.length < eol + 2 + size + 2) return undefined;
      this.chunks.push(this.buf.subarray(eol + 2, eol + 2 + size));
      this.received += size;
      if (this.received > this.maxBytes) throw new MalformedAnswer(`answer larger than ${this.maxBytes} bytes`);
      this.buf = this.buf.subarray(eol + 2 + size + 2);
    }
  }

  /** The server closed: for an answer read until close, that is its end. */
  end(): Http1Answer | undefined {
    if (this.headerDone && this.untilClose)
      return { status: this.status, headers: this.headers, body: Buffer.concat(this.chunks) };
    return undefined;
  }
}

/** What a connection's events go to while a request is on it. */
interface Exchange {
  data(d: Buffer): void;
  error(err: Error): void;
  end(): void;
  close(): void;
}

const EXCHANGE = Symbol('exchange');
type PooledSocket = net.Socket & { [EXCHANGE]?: Exchange | undefined };

/**
 * Kept-alive connections to one endpoint; a call takes an idle one or opens
 * one, and is sent once. Each connection's listeners and idle timeout are
 * set once, when it opens, and pass its events to the request on it, if any:
 * nothing is added or removed per call.
 */
export class Http1Pool {
  private readonly idle: PooledSocket[] = [];
  private readonly all = new Set<PooledSocket>();
  private closed = false;

  constructor(
    private readonly target: Http1Target,
    private readonly idleTimeoutMs: number,
    private readonly maxBytes: number,
  ) {}

  private connect(): PooledSocket {
    const { host, port } = this.target;
    const socket: PooledSocket = this.target.tls
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...this.target.tls })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    this.all.add(socket);
    // An idle connection that errors, is closed by the server, sends bytes nobody asked for, or stays idle too long
    // just leaves the pool.
    socket.on('data', (d: Buffer) => (socket[EXCHANGE] ? socket[EXCHANGE].data(d) : socket.destroy()));
    socket.on('error', (err) => (socket[EXCHANGE] ? socket[EXCHANGE].error(err) : socket.destroy()));
    socket.on('end', () => (socket[EXCHANGE] ? socket[EXCHANGE].end() : socket.destroy()));
    socket.setTimeout(this.idleTimeoutMs, () => {
      if (!socket[EXCHANGE]) socket.destroy();
    });
    socket.once('close', () => {
      this.all.delete(socket);
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
      socket[EXCHANGE]?.close();
    });
    return socket;
  }

  private take(): PooledSocket {
    for (;;) {
      const s = this.idle.pop();
      if (!s) return this.connect();
      if (!s.destroyed && s.writable) {
        s.ref();
        return s;
      }
    }
  }

  private release(socket: PooledSocket): void {
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    // An idle connection must not keep a finished program alive; take() refs it again for the next call.
    socket.unref();
    this.idle.push(socket);
  }

  /** Sends one request; `abort` ends it (the deadline). Rejects with Node-style errors. */
  request(head: string, body: string): { answer: Promise<Http1Answer>; abort: () => void } {
    if (this.closed) throw new PoolClosed();
    const socket = this.take();
    const parser = new Parser(this.maxBytes);
    let abort = (): void => {};
    let receivedBytes = 0;
    const answer = new Promise<Http1Answer>((resolve, reject) => {
      let done = false;
      const finish = (err: Error | undefined, a?: Http1Answer): void => {
        if (done) return;
        done = true;
        socket[EXCHANGE] = undefined;
        if (err) {
          socket.destroy();
          reject(err);
          return;
        }
        if (parser.keepAlive) this.release(socket);
        else socket.destroy();
        resolve(a!);
      };
      abort = () => finish(new RocError('the call was aborted (its deadline passed)'));
      // An answer read until the connection ends (HTTP/1.0 servers) is whole at its end.
      const ended = (): void => {
        const a = parser.end();
        if (a) finish(undefined, a);
      };
      socket[EXCHANGE] = {
        data: (d) => {
          receivedBytes += d.length;
          let a: Http1Answer | undefined;
          try {
            a = parser.push(d);
          } catch (err) {
            finish(err as Error);
            return;
          }
          if (a) finish(undefined, a);
        },
        error: (err) => finish(err),
        end: ended,
        // finish() takes only its first outcome: a whole answer at the end wins over the hang-up.
        close: () => {
          ended();
          finish(new ClosedBeforeAnswer(receivedBytes));
        },
      };
      socket.write(head + body);
    });
    return { answer, abort: () => abort() };
  }

  /** Kept-alive connections waiting for the next call (one the server closed leaves as soon as its FIN is read). */
  get idleConnections(): number {
    return this.idle.length;
  }

  close(): void {
    this.closed = true;
    for (const s of this.all) s.destroy();
    this.idle.length = 0;
  }
}
