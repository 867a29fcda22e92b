import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createXmlRpcListener } from '../wire/index.js';
import { AGENT_DEFAULTS } from './defaults.js';
import {
  faultsPort,
  guestLibraryMethods,
  publishGuestLibrary,
  startFaults,
  stopAllChildren,
  stopFaults,
} from '../guestlib/index.js';
import { isLoopback, tokenGate } from './auth.js';
import { Dispatcher } from './dispatch.js';
import { HandleTable } from './handles.js';
import { loadModules, type ServedModules } from './loader.js';
import { named, RocError } from '../wire/errors.js';

export interface AgentOptions {
  /** Files or directories of JS modules whose exported classes (and functions) are served. */
  modules: readonly string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Turns off `shutdown()` from callers. */
  noRemoteShutdown?: boolean;
  /** Serve the built-in guest library as roc.* methods (default true). */
  guestLibrary?: boolean;
  maxBodyBytes?: number;
  maxDepth?: number;
  maxHandles?: number;
  /** Per-call deadline for served code, ms; 0: none. */
  callTimeoutMs?: number;
  /** Answers at least this large are gzipped for clients that accept it. */
  gzipThreshold?: number;
  /** Callers must present this token (Bearer, or Basic with it as password). */
  token?: string;
  /** Allow listening off loopback without a token. */
  insecure?: boolean;
  /** Serve HTTPS. With clientCa, callers must present a certificate it signed. */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /** Calls running at once before new ones are refused with a BusyError fault (default 256). */
  maxConcurrent?: number;
  /** Time allowed to receive a request's headers, ms (default 30 s). */
  headerTimeoutMs?: number;
  /** An idle kept-alive connection is closed after this many ms (default 60 s). */
  idleTimeoutMs?: number;
  /** Time allowed to receive a whole request, ms (default 5 min). */
  requestTimeoutMs?: number;
  /** A client's objects are freed after this long without a call from it (ms; default 60 s; 0: never). */
  leaseTtlMs?: number;
  /** How long a freed object's dispose or close() may take before the agent logs it and moves on, ms (default 5 s). */
  disposeTimeoutMs?: number;
  /** Lines about what the agent does; nothing is printed when absent. */
  log?: (line: string) => void;
}

/** The agent could not start: its address (`host:port`) says where, the message why and what to do. */
export class AgentStartError extends RocError {
  static {
    named(this, 'AgentStartError');
  }
  readonly address: string;
  constructor(message: string, address: string, options?: { cause?: unknown }) {
    super(message, options);
    this.address = address;
  }
}

/** A running agent. */
export class Agent {
  readonly host: string;
  readonly port: number;
  readonly served: ServedModules;
  readonly handles: HandleTable;
  /** Settles once the agent has stopped, whether by close() or by a remote shutdown(). */
  readonly closed: Promise<void>;
  private readonly server: http.Server;
  /** Set once close() has begun. */
  stopping: Promise<void> | undefined;
  private resolveClosed!: () => void;

  readonly scheme: 'http' | 'https';

  private constructor(
    server: http.Server,
    served: ServedModules,
    handles: HandleTable,
    host: string,
    port: number,
    scheme: 'http' | 'https',
  ) {
    this.scheme = scheme;
    this.server = server;
    this.served = served;
    this.handles = handles;
    this.host = host;
    this.port = port;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get bootId(): string {
    return this.handles.bootId;
  }

  get url(): string {
    return `${this.scheme}://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/`;
  }

  static async start(options: AgentOptions): Promise<Agent> {
    if (options.guestLibrary !== false) publishGuestLibrary();
    const served = await loadModules(options.modules);
    const handles = new HandleTable({
      maxHandles: options.maxHandles ?? AGENT_DEFAULTS.maxHandles,
      leaseTtlMs: options.leaseTtlMs ?? AGENT_DEFAULTS.leaseTtlMs,
      disposeTimeoutMs: options.disposeTimeoutMs,
      log: options.log,
    });
    const host = options.host ?? AGENT_DEFAULTS.host;
    let agent: Agent | undefined;
    const dispatcher = new Dispatcher({
      served,
      handles,
      callTimeoutMs: options.callTimeoutMs ?? AGENT_DEFAULTS.callTimeoutMs,
      maxConcurrent: options.maxConcurrent ?? AGENT_DEFAULTS.maxConcurrent,
      library: options.guestLibrary === false ? undefined : guestLibraryMethods(),
      onShutdown: options.noRemoteShutdown
        ? undefined
        : () => {
            options.log?.('shutdown() received: stopping');
            void agent?.close();
          },
    });
    if (!options.token && !options.insecure && !isLoopback(host)) {
      throw new AgentStartError(
        `refusing to listen on ${host} without a token: anyone who can reach it could run code on this machine. ` +
          'Give --token-file <file> (make one with: roc token) or ROC_TOKEN, or pass --insecure to accept the risk',
        `${host}:${options.port ?? AGENT_DEFAULTS.port}`,
      );
    }
    const listener = createXmlRpcListener({
      dispatch: dispatcher.dispatch,
      maxBodyBytes: options.maxBodyBytes ?? AGENT_DEFAULTS.maxBodyBytes,
      decodeOptions: { maxDepth: options.maxDepth ?? AGENT_DEFAULTS.maxDepth, reviveStruct: dispatcher.reviveStruct },
      gzipThreshold: options.gzipThreshold,
      closing: () => agent?.stopping !== undefined,
      admit: options.token ? tokenGate(options.token) : undefined,
    });
    const headersTimeout = options.headerTimeoutMs ?? AGENT_DEFAULTS.headerTimeoutMs;
    const timeouts = {
      keepAliveTimeout: options.idleTimeoutMs ?? AGENT_DEFAULTS.idleTimeoutMs,
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, options.requestTimeoutMs ?? AGENT_DEFAULTS.requestTimeoutMs),
      // Node enforces the two timeouts above only when it sweeps, every 30 s by default.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 2))),
    };
    const server: http.Server = options.tls
      ? https.createServer(
          {
            ...timeouts,
            cert: options.tls.cert,
            key: options.tls.key,
            ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          },
          listener,
        )
      : http.createServer(timeouts, listener);
    // One agent per machine owns its faults (the registry is the process's): before it answers anyone,
    // it undoes what a crashed run on this port left.
    if (options.guestLibrary !== false)
      await startFaults({ port: options.port ?? AGENT_DEFAULTS.port, log: options.log });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const where = `${host}:${options.port ?? AGENT_DEFAULTS.port}`;
        if (err.code === 'EADDRINUSE')
          reject(
            new AgentStartError(
              `cannot listen on ${where}: the port is already in use (another agent? roc-agent -e asks it to shut down first)`,
              where,
              { cause: err },
            ),
          );
        else if (err.code === 'EADDRNOTAVAIL')
          reject(
            new AgentStartError(`cannot listen on ${where}: this machine has no such address`, where, { cause: err }),
          );
        else if (err.code === 'EACCES')
          reject(
            new AgentStartError(`cannot listen on ${where}: permission denied (ports below 1024 need root)`, where, {
              cause: err,
            }),
          );
        else reject(new AgentStartError(`cannot listen on ${where}: ${err.message}`, where, { cause: err }));
      });
      server.listen(options.port ?? AGENT_DEFAULTS.port, host, () => resolve((server.address() as AddressInfo).port));
    });
    agent = new Agent(server, served, handles, host, port, options.tls ? 'https' : 'http');
    agent.sweepLeases(options.log);
    faultsPort(port);
    return agent;
  }

  private leaseTimer: NodeJS.Timeout | undefined;

  /** Frees the objects of clients whose lease lapsed, a few times per TTL, and says whose they were. */
  private sweepLeases(log: ((line: string) => void) | undefined): void {
    const ttl = this.handles.leases.ttlMs;
    this.leaseTimer = setInterval(
      () => {
        for (const lapsed of this.handles.releaseLapsed()) {
          if (lapsed.handles.length === 0) continue;
          const shown =
            lapsed.handles.slice(0, 5).join(', ') +
            (lapsed.handles.length > 5 ? `, ... (${lapsed.handles.length - 5} more)` : '');
          log?.(
            `lease ${lapsed.id} of ${lapsed.from} lapsed (no call for ${ttl} ms): freed its ${lapsed.handles.length} object(s): ${shown}`,
          );
        }
      },
      // With no TTL nothing lapses, but leases that hold nothing are still forgotten now and then.
      ttl > 0 ? Math.min(5_000, Math.max(50, Math.floor(ttl / 4))) : 5_000,
    );
    // The sweep is housekeeping: it never keeps a stopped agent's process alive.
    this.leaseTimer.unref();
  }

  /**
   * Stops accepting, lets calls under way finish for up to graceMs, then
   * closes every connection that is left.
   */
  /** `await using agent = await Agent.start(...)` stops it (with the default grace period) at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  close(graceMs: number = AGENT_DEFAULTS.stopGraceMs): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      // Kept-alive connections turn idle as their calls finish; close them as they do.
      const sweep = setInterval(() => this.server.closeIdleConnections(), 20);
      const deadline = setTimeout(() => this.server.closeAllConnections(), graceMs);
      this.server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
      this.server.closeIdleConnections();
    }).then(async () => {
      // No fault outlives the agent that made it, and neither does a program it started.
      await stopFaults();
      clearInterval(this.leaseTimer);
      await this.handles.clear();
      await stopAllChildren();
      this.resolveClosed();
    });
    return this.stopping;
  }
}

export function startAgent(options: AgentOptions): Promise<Agent> {
  return Agent.start(options);
}
