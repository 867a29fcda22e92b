/** What the built-in guest library returns; shared by the agent and the typed host view. */
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

/** The library as the host sees it: every function returns a promise. */
export interface GuestLibrary {
  command: {
    run(file: string, args?: string[], options?: CommandOptions): Promise<CommandResult>;
    /** One shell command line, through /bin/sh. */
    shell(commandLine: string, options?: Omit<CommandOptions, 'shell'>): Promise<CommandResult>;
  };
  files: {
    read(path: string): Promise<string>;
    readBytes(path: string): Promise<Buffer>;
    write(path: string, content: string | Buffer, options?: { mode?: number; append?: boolean }): Promise<number>;
    exists(path: string): Promise<boolean>;
    stat(path: string): Promise<FileStat>;
    sha256(path: string): Promise<string>;
    list(path: string): Promise<DirEntry[]>;
    remove(path: string): Promise<boolean>;
    mkdir(path: string): Promise<null>;
  };
  services: {
    isActive(unit: string): Promise<boolean>;
    isEnabled(unit: string): Promise<boolean>;
    status(unit: string): Promise<ServiceStatus>;
    start(unit: string): Promise<null>;
    stop(unit: string): Promise<null>;
    restart(unit: string): Promise<null>;
    journal(unit: string, lines?: number): Promise<string[]>;
  };
  network: {
    listening(protocol?: 'tcp' | 'udp'): Promise<ListeningSocket[]>;
    isListening(port: number, protocol?: 'tcp' | 'udp'): Promise<boolean>;
    canConnect(host: string, port: number, timeoutMs?: number): Promise<ConnectResult>;
    httpGet(url: string, options?: { timeout?: number; headers?: Record<string, string> }): Promise<HttpResult>;
  };
  processes: {
    list(): Promise<ProcessInfo[]>;
    find(name: string): Promise<ProcessInfo[]>;
  };
  system: {
    facts(): Promise<SystemFacts>;
    hostname(): Promise<string>;
    uptime(): Promise<number>;
  };
}
