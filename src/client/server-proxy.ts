import { inspect } from 'node:util';
import {
  HttpTransport,
  decodeResponse,
  DecodeError,
  encodeCall,
  ProtocolError,
  XmlRpcFault,
  retryUntil,
  TransportClosedError,
  type CallSite,
  type DecodeOptions,
  type EncodeOptions,
  type Transport,
  type TransportOptions,
  type XmlRpcStruct,
} from '../wire/index.js';
import {
  isRef,
  LEASE_HEADER,
  REF_CLASS,
  REF_HANDLE,
  readTokenFile,
  ROC_HINTS,
  type AgentDescription,
  type AgentInfo,
} from '../protocol/index.js';
import { AgentNotReadyError, ProxyClosedError, remoteErrorFor } from './errors.js';
import { LeaseKeeper } from './lease.js';
import { makeRemoteObject, refOf } from './remote-object.js';

export interface ServerProxyOptions extends TransportOptions {
  /** Read the token from this file (one line). Without token or tokenFile, ROC_TOKEN is used when set. */
  tokenFile?: string;
  /**
   * Hold a lease on the agent (default true): objects this proxy made are freed
   * by the agent once this program has made no call for the agent's lease TTL
   * (it exited, died, or lost the network). With false they live until released.
   */
  lease?: boolean;
  /** Talk through this transport instead of HTTP (tests use one in memory). */
  transport?: Transport;
  /**
   * Make the transport from the options the proxy would give HTTP (its lease
   * header, hints, timeout and guest included): a transport that reaches the
   * agent some other way (over ssh) and then speaks HTTP to it.
   */
  transportFor?: (options: TransportOptions) => Transport;
}

/** Fills in the token from tokenFile or ROC_TOKEN, and says where it came from. */
function withToken(options: ServerProxyOptions): ServerProxyOptions {
  if (options.token) return { tokenSource: 'the token option', ...options };
  if (options.tokenFile)
    return { tokenSource: `tokenFile ${options.tokenFile}`, ...options, token: readTokenFile(options.tokenFile) };
  const env = process.env.ROC_TOKEN?.trim();
  return env ? { ...options, token: env, tokenSource: 'ROC_TOKEN' } : options;
}

/** `http://user:TOKEN@host:port/path`, as Python's ServerProxy takes it. */
function fromUrl(url: string, options: Omit<ServerProxyOptions, 'host' | 'port'> = {}): ServerProxyOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(
      `serverProxy: ${JSON.stringify(url)} is not a URL; pass serverProxy(host, port) or serverProxy('http://host:port/')`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new TypeError(`serverProxy: ${url} must be http: or https:`);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return {
    ...options,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    path: u.pathname || '/',
    ...(u.password ? { token: decodeURIComponent(u.password), tokenSource: 'the URL' } : {}),
    ...(u.protocol === 'https:' ? { tls: options.tls ?? {} } : {}),
  };
}

export interface CallOptions {
  /** This call's deadline in ms, instead of the proxy's. */
  timeout?: number;
}

export interface MulticallEntry {
  method: string;
  params?: readonly unknown[];
}

export type MulticallResult = { ok: true; value: unknown } | { ok: false; error: Error };

export interface WaitOptions {
  /** Give up after this many ms (default 30 s). */
  timeout?: number;
  /** Wait this long between attempts (default 100 ms). */
  interval?: number;
}

/**
 * One agent (or any XML-RPC server) at host:port. `call()` sends any method;
 * the named methods are the ROC protocol's.
 */
export class ServerProxy {
  readonly transport: Transport;
  /** This client's lease on the agent; undefined with { lease: false }. */
  readonly lease: LeaseKeeper | undefined;
  private readonly encodeOptions: EncodeOptions;
  private readonly decodeOptions: DecodeOptions;

  constructor(options: ServerProxyOptions) {
    if (!options || typeof options.host !== 'string' || !options.host)
      throw new TypeError('serverProxy needs a host, e.g. serverProxy({ host: "127.0.0.1", port: 7007 })');
    // A port read from a command line or the environment arrives as text.
    const port = typeof options.port === 'string' && /^\d+$/.test(options.port) ? Number(options.port) : options.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new TypeError(`serverProxy needs a port from 1 to 65535, got ${inspect(options.port)}`);
    this.lease = options.lease === false ? undefined : new LeaseKeeper(() => this.callWith('lease', []));
    this.transport =
      options.transport ??
      (options.transportFor ?? ((o: TransportOptions) => new HttpTransport(o)))(
        withToken({
          hints: ROC_HINTS,
          ...options,
          port,
          headers: { ...options.headers, ...(this.lease ? { [LEASE_HEADER]: this.lease.id } : {}) },
        }),
      );
    this.encodeOptions = { replace: (obj) => refOf(obj, this) };
    this.decodeOptions = {
      reviveStruct: (s: XmlRpcStruct) => (isRef(s) ? makeRemoteObject(this, s[REF_HANDLE], s[REF_CLASS]) : s),
    };
  }

  /** `host:port`. */
  get endpoint(): string {
    return this.transport.endpoint;
  }

  get guest(): string | undefined {
    return this.transport.guest;
  }

  site(method: string): CallSite {
    return this.transport.site(method);
  }

  /** Calls `method` with `params`; resolves with the result or rejects with a RemoteError or a transport error. */
  async callWith<T = unknown>(method: string, params: readonly unknown[], options: CallOptions = {}): Promise<T> {
    const site = this.site(method);
    const body = encodeCall(method, params, this.encodeOptions);
    this.lease?.sending();
    let answer;
    try {
      answer = await this.transport.post(body, method, options.timeout);
    } catch (err) {
      if (err instanceof TransportClosedError) throw new ProxyClosedError(site);
      throw err;
    }
    this.lease?.answered(answer.headers);
    try {
      return decodeResponse(answer.text, this.decodeOptions) as T;
    } catch (err) {
      if (err instanceof XmlRpcFault) throw remoteErrorFor(site, err);
      if (err instanceof DecodeError) throw new ProtocolError(site, err.message, err);
      throw err;
    }
  }

  call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    return this.callWith<T>(method, params);
  }

  /**
   * Many calls in one round trip (`system.multicall`); they run in order on
   * the agent. Each result is its value or the error it raised.
   */
  async multicall(calls: readonly MulticallEntry[], options?: CallOptions): Promise<MulticallResult[]> {
    const structs = calls.map((c) => ({ methodName: c.method, params: c.params ?? [] }));
    const raw = await this.callWith<unknown[]>('system.multicall', [structs], options);
    return raw.map((entry, i): MulticallResult => {
      if (Array.isArray(entry)) return { ok: true, value: entry[0] };
      const s = entry as XmlRpcStruct;
      const extra: XmlRpcStruct = Object.create(null);
      for (const k of Object.keys(s)) if (k !== 'faultCode' && k !== 'faultString') extra[k] = s[k]!;
      const fault = new XmlRpcFault(Number(s.faultCode), String(s.faultString), extra);
      return { ok: false, error: remoteErrorFor(this.site(calls[i]!.method), fault) };
    });
  }

  classes(): Promise<string[]> {
    return this.call('classes');
  }

  instances(): Promise<string[]> {
    return this.call('instances');
  }

  /** Creates an instance on the agent; resolves with its handle name. */
  create(className: string, args: readonly unknown[] = []): Promise<string> {
    return this.callWith('create', [className, args]);
  }

  releaseHandle(handle: string): Promise<boolean> {
    return this.call('release', handle);
  }

  /** Agent version, boot id, pid, hostname, uptime, modules. */
  ping(options?: CallOptions): Promise<AgentInfo> {
    return this.callWith('ping', [], options);
  }

  describe(): Promise<AgentDescription> {
    return this.call('describe');
  }

  /** Asks the agent to stop; it answers first. */
  async shutdown(): Promise<void> {
    await this.call('shutdown');
  }

  /**
   * Polls until the agent answers (the original's wait()/is_online()).
   * Rejects with the last error when the timeout passes.
   */
  async waitUntilReady(options: WaitOptions = {}): Promise<AgentInfo | undefined> {
    const timeout = options.timeout ?? 30_000;
    let info: AgentInfo | undefined;
    let last: unknown;
    await retryUntil(
      timeout,
      options.interval ?? 100,
      async (left) => {
        const callTimeout = Math.min(left, 5_000);
        try {
          try {
            info = await this.ping({ timeout: callTimeout });
          } catch (err) {
            // A Python agent has no ping(); any answer at all means it is up.
            if ((err as { faultCode?: number }).faultCode === undefined) throw err;
            await this.callWith('classes', [], { timeout: callTimeout });
          }
          return true;
        } catch (err) {
          last = err;
          return false;
        }
      },
      () => new AgentNotReadyError(this.site('waitUntilReady'), timeout, last),
    );
    return info;
  }

  /** The deadline of one call, ms. */
  get timeout(): number {
    return this.transport.timeout;
  }

  /** Closes every connection to the agent; calls still under way fail. Renewals stop: its objects go when the lease lapses. */
  close(): void {
    this.lease?.stop();
    this.transport.close();
  }

  /** `await using proxy = serverProxy(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Printing or serializing a proxy never shows its token. */
  toJSON(): { endpoint: string; guest: string | null; token: string | null } {
    const { tokenSource } = this.transport;
    return {
      endpoint: this.endpoint,
      guest: this.guest ?? null,
      token: tokenSource ? `(from ${tokenSource}; not shown)` : null,
    };
  }

  [inspect.custom](): string {
    return `ServerProxy<${this.guest ? `${this.guest} ` : ''}${this.endpoint}${this.transport.tokenSource ? `, token from ${this.transport.tokenSource}` : ''}>`;
  }
}

/**
 * `serverProxy({ host, port, timeout })`, `serverProxy(host, port)` as the
 * original's `server_proxy(host, port)`, or `serverProxy('http://roc:TOKEN@host:port/')`.
 */
export function serverProxy(options: ServerProxyOptions): ServerProxy;
export function serverProxy(url: string, options?: Omit<ServerProxyOptions, 'host' | 'port'>): ServerProxy;
export function serverProxy(
  host: string,
  port: number | string,
  options?: Omit<ServerProxyOptions, 'host' | 'port'>,
): ServerProxy;
export function serverProxy(
  first: string | ServerProxyOptions,
  second?: number | string | Omit<ServerProxyOptions, 'host' | 'port'>,
  third?: Omit<ServerProxyOptions, 'host' | 'port'>,
): ServerProxy {
  if (typeof first !== 'string') return new ServerProxy(first);
  if (typeof second === 'number' || (typeof second === 'string' && /^\d+$/.test(second)))
    return new ServerProxy({ ...third, host: first, port: Number(second) });
  if (typeof second === 'string')
    throw new TypeError(
      `serverProxy(${JSON.stringify(first)}, ${JSON.stringify(second)}): the port must be a number from 1 to 65535`,
    );
  if (first.includes('://')) return new ServerProxy(fromUrl(first, second));
  throw new TypeError(`serverProxy(${JSON.stringify(first)}) needs a port: serverProxy(host, port)`);
}

export type { AgentDescription, AgentInfo };
