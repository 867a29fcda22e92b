import { inspect } from 'node:util';
import { SshTransport } from './ssh-transport.js';
import { readFileSync } from 'node:fs';
import { answerProbe, isProbe, type LocalView } from '../client/probes.js';
import {
  RemoteError,
  remoteModule,
  ServerProxy,
  type AgentInfo,
  type RemoteModule,
  type UntypedRemoteModule,
  type WaitOptions,
} from '../client/index.js';
import type * as Areas from '../guestlib/areas.js';
import type { WaitCondition, WaitResult } from '../guestlib/types.js';
import { durationMs } from './duration.js';
import { WaitTimeoutError } from './errors.js';
import type { GuestSpec } from './load.js';

/** How long waitFor waits when not told. */
const DEFAULT_WAIT_MS = 30_000;
/** How much longer than its wait a waitFor call may take: the round trip and the guest's last look. */
const WAIT_MARGIN_MS = 10_000;

/**
 * The built-in guest library as the host sees it, derived from the guest's
 * own modules: each function takes what it takes there and returns a
 * promise of what arrives (dates stay dates, bytes are Buffers, nothing is null).
 */
export type GuestLibrary = { readonly [A in keyof typeof Areas]: RemoteModule<(typeof Areas)[A]> };

/** `lib.files.read(path)` calls `roc.files.read` on the guest. */
function libraryView(proxy: ServerProxy): GuestLibrary {
  const where = `${proxy.guest ? `${proxy.guest} ` : ''}${proxy.endpoint}`;
  const viewOf = (name: string): LocalView => ({
    describe: () => `${name}<${where}>`,
    json: () => ({ [name]: where }),
    tag: name,
  });
  const areas = new Map<string, unknown>();
  const libView = viewOf('GuestLibrary');
  return new Proxy({} as GuestLibrary, {
    get(_t, area) {
      if (isProbe(area)) return answerProbe(area, libView);
      let view = areas.get(area as string);
      if (!view) {
        const fns = new Map<string, unknown>();
        const areaView = viewOf(`GuestLibrary.${String(area)}`);
        view = new Proxy(
          {},
          {
            get(_u, fn) {
              if (isProbe(fn)) return answerProbe(fn, areaView);
              let f = fns.get(fn as string);
              if (!f) {
                f = (...args: unknown[]) => proxy.callWith(`roc.${String(area)}.${String(fn)}`, args);
                fns.set(fn as string, f);
              }
              return f;
            },
          },
        );
        areas.set(area as string, view);
      }
      return view;
    },
  });
}

/**
 * One guest of the topology, reached by name. Its proxy reconnects by
 * itself, so a guest whose agent restarted is reachable again as it was;
 * objects made before the restart fail with StaleHandleError.
 */
export class Guest<M = unknown> {
  readonly name: string;
  readonly spec: GuestSpec;
  private proxyValue: ServerProxy | undefined;
  private moduleValue: unknown;
  private libValue: GuestLibrary | undefined;

  /** The topology file the guest comes from, for messages. */
  readonly topologyFile: string | undefined;

  constructor(spec: GuestSpec, topologyFile?: string) {
    this.name = spec.name;
    this.spec = spec;
    this.topologyFile = topologyFile;
  }

  /**
   * The guest's address as the host reaches it (its topology `host`): what
   * other guests, and the guest's own servers, are reached at, e.g.
   * `http://${guest('n1').address}:2379`.
   */
  get address(): string {
    return this.spec.host;
  }

  /** `host:port`. */
  get endpoint(): string {
    return this.proxy.endpoint;
  }

  get proxy(): ServerProxy {
    if (!this.proxyValue) {
      const { spec } = this;
      const read = (file: string | undefined): Buffer | undefined => (file ? readFileSync(file) : undefined);
      this.proxyValue = new ServerProxy({
        host: spec.host,
        port: spec.port,
        guest: spec.name,
        timeout: spec.timeoutMs,
        timeoutSource: `the guest's timeout: in ${this.topologyFile ?? 'its topology'}`,
        tokenFile: spec.tokenFile,
        ...(spec.tokenFile
          ? {
              tokenSource: `token_file ${spec.tokenFile}${this.topologyFile ? ` (topology ${this.topologyFile})` : ''}`,
            }
          : {}),
        ...(spec.tls ? { tls: { ca: read(spec.tls.ca), cert: read(spec.tls.cert), key: read(spec.tls.key) } } : {}),
        // transport: ssh or vagrant: the agent is started over ssh on the first call, and reached through the connection.
        ...(spec.transport !== 'agent' ? { transportFor: (o) => new SshTransport(spec, o, this.topologyFile) } : {}),
      });
    }
    return this.proxyValue;
  }

  /** The classes (and functions) the guest's agent serves, as remoteModule gives them. */
  get module(): unknown extends M ? UntypedRemoteModule : RemoteModule<M> {
    this.moduleValue ??= remoteModule(this.proxy);
    return this.moduleValue as unknown extends M ? UntypedRemoteModule : RemoteModule<M>;
  }

  /** The built-in guest library: command, files, services, network, processes, system. */
  get lib(): GuestLibrary {
    this.libValue ??= libraryView(this.proxy);
    return this.libValue;
  }

  ping(options?: { timeout?: number }): Promise<AgentInfo> {
    return this.proxy.ping(options);
  }

  waitUntilReady(options?: WaitOptions): Promise<AgentInfo | undefined> {
    return this.proxy.waitUntilReady(options);
  }

  /**
   * Waits on the guest until the condition holds, in one call however long
   * it lasts (timeout default 30 s, a duration such as '10s' or ms).
   * Rejects with a WaitTimeoutError saying what each condition saw last.
   */
  async waitFor(condition: WaitCondition, options: { timeout?: string | number } = {}): Promise<WaitResult> {
    const ms = options.timeout === undefined ? DEFAULT_WAIT_MS : durationMs(options.timeout, 'waitFor timeout');
    try {
      // The call outlives the wait by a margin: the guest's own timeout ends it, with what it saw.
      return await this.proxy.callWith<WaitResult>('roc.wait.until', [condition, ms], { timeout: ms + WAIT_MARGIN_MS });
    } catch (err) {
      if (err instanceof RemoteError && err.remoteName === 'WaitTimeoutError') {
        const observed = Array.isArray(err.remoteFields.observed)
          ? err.remoteFields.observed.map(String)
          : [err.remoteMessage];
        throw new WaitTimeoutError(this.name, this.endpoint, ms, observed, err);
      }
      throw err;
    }
  }

  call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    return this.proxy.callWith<T>(method, params);
  }

  /**
   * Closes the guest's connections. The guest itself stays usable: the next call
   * connects again. Remote objects made through it before stay tied to the closed
   * connections and fail with ProxyClosedError.
   */
  close(): void {
    this.proxyValue?.close();
    this.proxyValue = undefined;
    this.moduleValue = undefined;
    this.libValue = undefined;
  }

  [inspect.custom](): string {
    return `Guest<${this.name} ${this.spec.host}:${this.spec.port}>`;
  }
}
