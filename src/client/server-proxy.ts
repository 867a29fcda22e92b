import {
  decodeResponse,
  DecodeError,
  describeSite,
  encodeCall,
  HttpTransport,
  isRef,
  ProtocolError,
  REF_CLASS,
  REF_HANDLE,
  XmlRpcFault,
  readTokenFile,
  type CallSite,
  type DecodeOptions,
  type EncodeOptions,
  type TransportOptions,
  type XmlRpcStruct,
} from '../wire/index.js';
import { remoteErrorFor } from './errors.js';
import { makeRemoteObject, refOf } from './remote-object.js';

export interface ServerProxyOptions extends TransportOptions {
  /** Read the token from this file (one line). Without token or tokenFile, ROC_TOKEN is used when set. */
  tokenFile?: string;
}

/** Fills in the token from tokenFile or ROC_TOKEN. */
function withToken(options: ServerProxyOptions): ServerProxyOptions {
  if (options.token) return options;
  if (options.tokenFile) return { ...options, token: readTokenFile(options.tokenFile) };
  const env = process.env.ROC_TOKEN?.trim();
  return env ? { ...options, token: env } : options;
}

/** `http://user:TOKEN@host:port/path`, as Python's ServerProxy takes it. */
function fromUrl(url: string, options: Omit<ServerProxyOptions, 'host' | 'port'> = {}): ServerProxyOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`serverProxy: ${JSON.stringify(url)} is not a URL; pass serverProxy(host, port) or serverProxy('http://host:port/')`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`serverProxy: ${url} must be http: or https:`);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return {
    ...options,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    path: u.pathname || '/',
    ...(u.password ? { token: decodeURIComponent(u.password) } : {}),
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
  readonly transport: HttpTransport;
  private readonly encodeOptions: EncodeOptions;
  private readonly decodeOptions: DecodeOptions;

  constructor(options: ServerProxyOptions) {
    if (!options || typeof options.host !== 'string' || !options.host) throw new TypeError('serverProxy needs a host, e.g. serverProxy({ host: "127.0.0.1", port: 7007 })');
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new TypeError(`serverProxy needs a port from 1 to 65535, got ${String(options.port)}`);
    this.transport = new HttpTransport(withToken(options));
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
    const text = await this.transport.post(body, method, options.timeout);
    try {
      return decodeResponse(text, this.decodeOptions) as T;
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
    const interval = options.interval ?? 100;
    const deadline = Date.now() + timeout;
    let last: unknown;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        try {
          return await this.ping({ timeout: Math.max(1, Math.min(left, 5_000)) });
        } catch (err) {
          // A Python agent has no ping(); any answer at all means it is up.
          if ((err as { faultCode?: number }).faultCode !== undefined) {
            await this.callWith('classes', [], { timeout: Math.max(1, Math.min(left, 5_000)) });
            return undefined;
          }
          throw err;
        }
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(0, deadline - Date.now()))));
    }
    const cause = last instanceof Error ? last.message : String(last);
    throw new Error(`the agent at ${describeSite(this.site('waitUntilReady'))} did not answer within ${timeout} ms; last error: ${cause}`, { cause: last });
  }

  /** Closes every connection to the agent; calls still under way fail. */
  close(): void {
    this.transport.close();
  }
}

export interface AgentInfo {
  version: string;
  bootId: string;
  pid: number;
  hostname: string;
  uptime: number;
  node: string;
  modules: string[];
  classes: string[];
  handles: number;
}

export interface AgentDescription {
  version: string;
  bootId: string;
  classes: { name: string; module: string; constructor: string; methods: { name: string; params: string }[]; statics: string[] }[];
  functions: { name: string; module: string; params: string }[];
}

/**
 * `serverProxy({ host, port, timeout })`, `serverProxy(host, port)` as the
 * original's `server_proxy(host, port)`, or `serverProxy('http://roc:TOKEN@host:port/')`.
 */
export function serverProxy(options: ServerProxyOptions): ServerProxy;
export function serverProxy(url: string, options?: Omit<ServerProxyOptions, 'host' | 'port'>): ServerProxy;
export function serverProxy(host: string, port: number, options?: Omit<ServerProxyOptions, 'host' | 'port'>): ServerProxy;
export function serverProxy(
  first: string | ServerProxyOptions,
  second?: number | Omit<ServerProxyOptions, 'host' | 'port'>,
  third?: Omit<ServerProxyOptions, 'host' | 'port'>,
): ServerProxy {
  if (typeof first !== 'string') return new ServerProxy(first);
  if (typeof second === 'number') return new ServerProxy({ ...third, host: first, port: second });
  if (first.includes('://')) return new ServerProxy(fromUrl(first, second));
  throw new TypeError(`serverProxy(${JSON.stringify(first)}) needs a port: serverProxy(host, port)`);
}
