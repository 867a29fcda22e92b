/** What the built-in guest library takes and returns; the host's typed view (GuestLibrary) is derived from the area modules. */
export interface CommandOptions {
  cwd?: string;
  /** Added to the agent's environment. */
  env?: Record<string, string>;
  /** Kill the command after this many ms (default 60 s). */
  timeout?: number;
  /** Text fed to the command's standard input. */
  input?: string;
  /** Run through /bin/sh: only when asked, as the command line is then shell syntax. */
  shell?: boolean;
}

export interface CommandResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface FileStat {
  path: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

export interface DirEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
}

export interface ServiceStatus {
  unit: string;
  active: string;
  sub: string;
  enabled: string;
}

export interface ListeningSocket {
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  address: string;
  port: number;
}

export interface ConnectResult {
  ok: boolean;
  ms: number;
  error: string | null;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  name: string;
  cmdline: string;
  uid: number;
}

/** What processes.start takes: a program to run in the background. */
export interface DaemonOptions {
  command: string;
  args?: string[];
  /** Added to the agent's environment (less the agent's token). */
  env?: Record<string, string>;
  cwd?: string;
  /** The file its output and errors are appended to (default: a file per daemon in the agent's state folder). */
  log?: string;
}

/** A program processes.start started, as processes.started() lists it. */
export interface DaemonInfo {
  pid: number;
  /** The program and its arguments. */
  command: string;
  log: string;
  alive: boolean;
  /** How it ended, once it has (null while alive, and for the one a signal ended). */
  exitCode: number | null;
  signal: string | null;
  /** Epoch ms. */
  startedAt: number;
  exitedAt: number | null;
}

export interface DaemonStopOptions {
  /** The first signal (default SIGTERM). */
  signal?: string;
  /** How long it has to end before SIGKILL, ms (default 10 s). */
  graceMs?: number;
}

export interface DaemonStopResult {
  pid: number;
  exitCode: number | null;
  signal: string | null;
  /** It outlived the grace and got SIGKILL. */
  killed: boolean;
  /** How long stopping it took. */
  ms: number;
}

/** One address of one of the guest's network interfaces. */
export interface InterfaceAddress {
  interface: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  /** CIDR prefix length. */
  prefix: number;
  internal: boolean;
}

export interface SystemFacts {
  hostname: string;
  os: Record<string, string>;
  kernel: string;
  arch: string;
  uptime: number;
  cpus: number;
  memoryMb: number;
  node: string;
  /** Every address of every interface, loopback included (marked internal). */
  addresses: InterfaceAddress[];
  /** The guest's name as the host's topology gives it (ROC_GUEST), where the agent was started with it. */
  guest: string | null;
}

/** What network.http sends. */
export interface HttpRequest {
  url: string;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON (with content-type application/json unless headers say). */
  body?: unknown;
  /** ms (default 10 s). */
  timeout?: number;
}

/** Which way a network fault acts: on packets arriving from the peers, leaving for them, or both. */
export type FaultDirection = 'in' | 'out' | 'both';

/** Options every fault takes. */
export interface FaultOptions {
  /** How long the fault lives before the agent heals it by itself, ms (default 10 minutes). */
  ttlMs?: number;
  /** A name for status() and messages (the host's nemesis puts its own there). */
  label?: string;
}

export interface NetFaultOptions extends FaultOptions {
  /** Default `in`: packets from the peers are dropped as they arrive, as a real partition would lose them. */
  direction?: FaultDirection;
}

/** One process, chosen by pid, by name (as processes.find matches it) or by systemd unit (all of its processes). */
export interface ProcessTarget {
  pid?: number;
  process?: string;
  unit?: string;
}

/** A live fault on this guest, as status() lists it. */
export interface FaultInfo {
  id: string;
  kind: 'block' | 'loss' | 'delay' | 'pause' | 'clock';
  /** What it does, in words: `drops packets from 10.0.0.2, 10.0.0.3 (in)`. */
  detail: string;
  label: string;
  peers: string[];
  pids: number[];
  createdAt: Date;
  expiresAt: Date;
  /** The same instants in epoch milliseconds (a dateTime on the wire has whole seconds only). */
  createdAtMs: number;
  expiresAtMs: number;
}

/** What kill() did. */
export interface KillResult {
  signal: string;
  pids: number[];
}

/** What command.stream yields: output as it comes, then how the command ended. */
export interface StreamChunk {
  stream: 'stdout' | 'stderr' | 'exit';
  /** The output's text (empty for `exit`). */
  data: string;
  /** For `exit`: the exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: string | null;
}

/** A regular expression as it crosses the wire. */
export interface WirePattern {
  source: string;
  flags: string;
}

/** What a wait waits for, evaluated on the guest (built on the host by `Wait`). */
export type WaitCondition =
  | {
      kind: 'logLine';
      path?: string;
      unit?: string;
      pattern: WirePattern;
      times: number;
      from: 'start' | 'end';
      process?: string;
    }
  | { kind: 'port'; port: number; host?: string; process?: string }
  | {
      kind: 'http';
      url: string;
      status: number;
      bodyMatches?: WirePattern;
      method?: string;
      body?: string;
      headers?: Record<string, string>;
      process?: string;
    }
  | { kind: 'process' | 'exited'; pid: number }
  | { kind: 'command'; line: string; exitCode: number; process?: string }
  | { kind: 'service'; unit: string; state: string }
  | { kind: 'file'; path: string; process?: string }
  | { kind: 'all' | 'any'; of: WaitCondition[] };

/** What a wait that held answers. */
export interface WaitResult {
  /** How long it waited, ms. */
  ms: number;
  /** Each condition and what was seen last, one line each. */
  observed: string[];
}
