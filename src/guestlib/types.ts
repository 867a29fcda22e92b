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

export interface SystemFacts {
  hostname: string;
  os: Record<string, string>;
  kernel: string;
  arch: string;
  uptime: number;
  cpus: number;
  memoryMb: number;
  node: string;
}
