import type { IncomingHttpHeaders } from 'node:http';
import { TransportClosedError, type CallSite } from './errors.js';
import type { Transport, TransportAnswer } from './http-transport.js';
import type { XmlRpcAnswer } from './http-listener.js';

/**
 * A transport with no socket: each body goes straight to an answering
 * function (an agent's answerXmlRpc), for tests of client behaviour that
 * need no network. Bodies and answers are still XML, so the codec is real.
 */
export class MemoryTransport implements Transport {
  readonly endpoint: string;
  readonly guest: string | undefined;
  readonly timeout = 30_000;
  readonly tokenSource = undefined;
  #closed = false;

  constructor(
    private readonly answer: (body: Buffer, headers: IncomingHttpHeaders) => Promise<XmlRpcAnswer>,
    options: { endpoint?: string; guest?: string; headers?: Readonly<Record<string, string>> } = {},
  ) {
    this.endpoint = options.endpoint ?? 'memory';
    this.guest = options.guest;
    this.headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  }

  private readonly headers: IncomingHttpHeaders;

  site(method: string): CallSite {
    return { endpoint: this.endpoint, method, guest: this.guest };
  }

  async post(body: string, method: string): Promise<TransportAnswer> {
    if (this.#closed) throw new TransportClosedError(this.site(method));
    const a = await this.answer(Buffer.from(body, 'utf8'), this.headers);
    return {
      text: a.xml,
      headers: Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    };
  }

  close(): void {
    this.#closed = true;
  }
}
