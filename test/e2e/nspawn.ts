import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { vagrantInsecureKey } from '../../src/cli/vagrant.js';
import { createNetns, removeNetns, type NetnsLayout } from '../../src/lab/netns.js';
import type { GuestSpec } from '../../src/topology/index.js';

/** Descendants of a process, from /proc. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const task of safeReaddir(`/proc/${p}/task`)) {
      for (const child of safeRead(`/proc/${p}/task/${task}/children`).split(' ').filter(Boolean).map(Number)) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

const safeReaddir = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};
const safeRead = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/**
 * A Debian guest booted with systemd-nspawn: an overlay on the shared
 * root filesystem (so each guest keeps its own changes across reboots),
 * inside a network namespace made beforehand. A reboot inside the guest
 * makes nspawn exit with 133; the guest then boots again, as the
 * systemd-nspawn@ unit does.
 */
export class NspawnGuest {
  readonly name: string;
  readonly merged: string;
  private readonly upper: string;
  private readonly work: string;
  private process: ChildProcess | undefined;
  private stopping = false;
  boots = 0;

  constructor(
    name: string,
    private readonly rootfs: string,
    private readonly stateDir: string,
    private readonly netnsPath: string,
    private readonly binds: readonly string[],
  ) {
    this.name = name;
    this.upper = join(stateDir, name, 'upper');
    this.work = join(stateDir, name, 'work');
    this.merged = join(stateDir, name, 'root');
  }

  get logFile(): string {
    return join(this.stateDir, `${this.name}.console.log`);
  }

  mount(): void {
    for (const d of [this.upper, this.work, this.merged]) mkdirSync(d, { recursive: true });
    run('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${this.rootfs},upperdir=${this.upper},workdir=${this.work}`,
      this.merged,
    ]);
    // systemd sets the host name from /etc/hostname at boot, over nspawn's --hostname.
    writeFileSync(join(this.merged, 'etc', 'hostname'), `${this.name}\n`);
  }

  boot(): void {
    this.boots++;
    const log = openSync(this.logFile, 'a');
    const child = spawn(
      'systemd-nspawn',
      [
        '-q',
        '-b',
        '-D',
        this.merged,
        '--register=no',
        '--keep-unit',
        `--machine=${this.name}`,
        `--hostname=${this.name}`,
        `--network-namespace-path=${this.netnsPath}`,
        // As a VM's root has it: firewall rules (the nemesis) in the guest's own network namespace.
        '--capability=CAP_NET_ADMIN',
        '--console=pipe',
        ...this.binds.flatMap((b) => ['--bind-ro', b]),
      ],
      { stdio: ['ignore', log, log] },
    );
    this.process = child;
    child.once('exit', (code) => {
      if (this.process !== child) return;
      this.process = undefined;
      if (code === 133 && !this.stopping) this.boot();
    });
  }

  /** PID (on the host) of the guest's systemd, once it runs. */
  leader(): number | undefined {
    const nspawn = this.process?.pid;
    if (!nspawn) return undefined;
    const ours = readlinkSync('/proc/self/ns/pid');
    return descendants(nspawn).find(
      (p) => safeRead(`/proc/${p}/comm`).trim() === 'systemd' && safeLink(`/proc/${p}/ns/pid`) !== ours,
    );
  }

  /** Runs a command inside the guest (its mount, UTS, IPC, network and PID namespaces). */
  exec(
    cmd: string,
    args: string[] = [],
    timeoutMs = 120_000,
  ): { status: number | null; stdout: string; stderr: string } {
    const leader = this.leader();
    if (!leader) throw new Error(`guest ${this.name} is not running`);
    const r = spawnSync(
      'nsenter',
      ['--target', String(leader), '--mount', '--uts', '--ipc', '--net', '--pid', '--', cmd, ...args],
      { encoding: 'utf8', timeout: timeoutMs },
    );
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Waits for the guest's systemd to finish booting. */
  async waitForBoot(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.leader()) {
        const r = this.exec('systemctl', ['is-system-running', '--wait'], 30_000);
        last = r.stdout.trim() || r.stderr.trim();
        if (['running', 'degraded'].includes(last)) return last;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `guest ${this.name} did not finish booting in ${timeoutMs} ms (last state: ${last}); console log: ${this.logFile}`,
    );
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** Powers the guest off and waits for nspawn to exit. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    const child = this.process;
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    // SIGTERM makes nspawn ask the guest's systemd for an orderly shutdown.
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  unmount(): void {
    spawnSync('umount', [this.merged]);
    rmSync(join(this.stateDir, this.name), { recursive: true, force: true });
  }
}

/**
 * A topology's guests booted with systemd-nspawn, each in the network
 * namespace the lab's layout gives it (createNetns, on a bridge): what the
 * end-to-end tiers and the ssh bench stand on. close() stops every guest it
 * booted, unmounts them, the last booted first (a guest's root may stand
 * on an earlier one's changes), and removes the namespaces.
 */
export class NspawnLab {
  readonly guests: NspawnGuest[] = [];

  private constructor(
    readonly labId: string,
    readonly layout: NetnsLayout,
    private readonly stateDir: string,
  ) {}

  /** The namespaces of `specs` (what a crashed run of the same lab left is removed first). */
  static async create(labId: string, specs: readonly GuestSpec[], stateDir: string): Promise<NspawnLab> {
    await removeNetns(labId);
    return new NspawnLab(labId, await createNetns(labId, specs), stateDir);
  }

  /**
   * Mounts and boots a guest on `rootfs` (overlay lower folders, joined by
   * `:`), in the namespace of the guest `name` unless `netns` names another.
   */
  boot(name: string, rootfs: string, binds: readonly string[], netns = this.layout.namespaces[name]!): NspawnGuest {
    const g = new NspawnGuest(name, rootfs, this.stateDir, `/run/netns/${netns}`, binds);
    g.mount();
    g.boot();
    this.guests.push(g);
    return g;
  }

  async close(): Promise<void> {
    const booted = [...this.guests].reverse();
    await Promise.all(booted.map((g) => g.stop()));
    for (const g of booted) g.unmount();
    await removeNetns(this.labId);
  }
}

/**
 * After boot, what a Vagrant box has before anyone logs in over ssh: the
 * guest resolves its own name (as Vagrant's host-name step makes it; sudo
 * needs it, and the box has no name server), and users may log in (until
 * systemd-user-sessions has run, pam_nologin turns away all but root).
 */
export async function readyForSsh(g: NspawnGuest, timeoutMs = 60_000): Promise<void> {
  g.exec('sh', ['-c', `echo "127.0.1.1 ${g.name}" >> /etc/hosts`]);
  const deadline = Date.now() + timeoutMs;
  while (g.exec('test', ['!', '-e', '/run/nologin']).status !== 0) {
    if (Date.now() > deadline) throw new Error(`${g.name} still turns users away (/run/nologin) after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `dir`/ssh_config: hosts matching `pattern` are logged in to as a Vagrant
 * box's `vagrant` user with Vagrant's insecure key (copied beside it, as a
 * base box authorizes it), host keys learnt into `dir`/known_hosts.
 */
export function vagrantSshConfig(dir: string, pattern: string): string {
  const key = join(dir, 'vagrant-key');
  copyFileSync(join(dirname(vagrantInsecureKey()), 'vagrant'), key);
  chmodSync(key, 0o600);
  const file = join(dir, 'ssh_config');
  writeFileSync(
    file,
    [
      `Host ${pattern}`,
      '  User vagrant',
      `  IdentityFile ${key}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking accept-new',
      '',
    ].join('\n'),
  );
  return file;
}

function safeLink(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
