import { lookup } from 'node:dns/promises';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { loadExeca } from './execa.js';
import { FaultRefusedError } from './errors.js';
import { helperPids } from './child.js';
import { checkUnit } from './systemctl.js';
import type { ProcessTarget } from './types.js';

/**
 * An address in one spelling, so that comparing two is comparing addresses:
 * IPv6 lower-cased and compressed (2001:DB8:0::10 is 2001:db8::10), an
 * IPv4-mapped IPv6 address as its IPv4 address.
 */
export function bare(address: string): string {
  let a = address.trim().replace(/^\[|\]$/g, '');
  if (isIP(a) === 6) {
    try {
      a = new URL(`http://[${a}]/`).hostname.slice(1, -1);
    } catch {
      a = a.toLowerCase();
    }
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (!mapped) return a;
  const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) own.add(bare(a.address));
  return own;
}

/**
 * The peers' IP addresses (names are looked up here, as this guest would
 * reach them). Refused: one of this guest's own addresses (guests that share
 * a network stack cannot be cut from each other) and the caller's address
 * (the nemesis never cuts its own controller).
 */
export async function peerAddresses(peers: unknown, caller: string | undefined): Promise<string[]> {
  if (!Array.isArray(peers) || peers.length === 0 || peers.some((p) => typeof p !== 'string' || !p))
    throw new FaultRefusedError('a network fault needs a list of peer addresses or host names', 'bad-argument');
  const own = ownAddresses();
  const out = new Set<string>();
  for (const peer of peers as string[]) {
    const addresses = isIP(peer) ? [peer] : (await lookup(peer, { all: true })).map((a) => a.address);
    for (const a of addresses.map(bare)) {
      // All of 127.0.0.0/8 is this machine's, listed on an interface or not.
      if (own.has(a) || a.startsWith('127.') || a === '::1')
        throw new FaultRefusedError(
          `peer ${peer} (${a}) is an address of this guest itself: the guests share one network stack (the loopback lab), where no link between them can be cut. Use guests with their own network: roc lab up --netns, containers or VMs`,
          'shared-stack',
        );
      if (caller !== undefined && a === bare(caller))
        throw new FaultRefusedError(
          `peer ${peer} (${a}) is the address the controlling host calls this agent from; cutting it would cut the test from its guest`,
          'controller',
        );
      out.add(a);
    }
  }
  return [...out];
}

/** In a lab, processes belong to the guest whose agent started them (they inherit ROC_GUEST). */
function ofThisGuest(pid: number): boolean {
  const me = process.env.ROC_GUEST;
  if (!me) return true;
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`ROC_GUEST=${me}`);
  } catch {
    return false;
  }
}

async function unitPids(unit: string): Promise<number[]> {
  const { execa } = await loadExeca();
  const r = await execa('systemctl', ['show', unit, '--property=ControlGroup,MainPID', '--no-pager'], {
    reject: false,
    encoding: 'utf8',
  });
  const props = Object.fromEntries(
    String(r.stdout ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const group = props.ControlGroup ? `/sys/fs/cgroup${props.ControlGroup}/cgroup.procs` : '';
  if (group && existsSync(group)) {
    const pids = readFileSync(group, 'utf8').split('\n').filter(Boolean).map(Number);
    if (pids.length) return pids;
  }
  const main = Number(props.MainPID ?? 0);
  return main > 0 ? [main] : [];
}

/** The process (thread group) a pid or thread id belongs to: kill(2) on a thread signals its whole process. */
function processOf(pid: number): number | undefined {
  try {
    const tgid = /^Tgid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return tgid ? Number(tgid) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a process is the one a name target names: its name (comm), the
 * basename of its executable or of its first argument, or one of its
 * arguments as a whole (or that argument's basename). Never a piece of its
 * command line: `kvnode` is not `vi /etc/kvnode.conf` nor `tail -F kvnode.log`.
 */
function named(pid: number, name: string): boolean {
  let argv: string[];
  let comm: string;
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return false; // gone, or a kernel thread
  }
  if (comm === name) return true;
  let exe = '';
  try {
    exe = basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    // another user's process: its executable is not readable
  }
  return exe === name || argv.some((a) => a === name || basename(a) === name);
}

async function namedPids(name: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  // Never the agent, the helpers the library runs for itself, or a process the agent runs in its own threads.
  return pids.filter((p) => p !== process.pid && !helperPids.has(p) && named(p, name));
}

/** The processes a target names on this guest; never the agent itself, by pid or by any of its threads. */
export async function targetPids(target: unknown): Promise<{ pids: number[]; what: string }> {
  const t = (target ?? {}) as ProcessTarget;
  // XML-RPC carries an absent member as nil: null counts as not given.
  const given = (['pid', 'process', 'unit'] as const).filter((k) => t[k] !== undefined && t[k] !== null && t[k] !== '');
  if (given.length !== 1)
    throw new FaultRefusedError(
      'name one process: { pid }, { process } (a name) or { unit } (a systemd unit)',
      'bad-argument',
    );
  let pids: number[];
  let what: string;
  if (given[0] === 'pid') {
    if (!Number.isInteger(t.pid) || Number(t.pid) < 2)
      throw new FaultRefusedError(`pid must be a whole number above 1, got ${JSON.stringify(t.pid)}`, 'bad-argument');
    what = `pid ${t.pid}`;
    const owner = processOf(Number(t.pid));
    pids = owner === undefined ? [] : [owner];
  } else if (given[0] === 'process') {
    if (typeof t.process !== 'string' || !t.process.trim() || t.process.includes('/') || t.process.includes('\0'))
      throw new FaultRefusedError(
        `process names a program by name (no path), got ${JSON.stringify(t.process)}`,
        'bad-argument',
      );
    what = `process ${t.process}`;
    pids = (await namedPids(t.process)).filter(ofThisGuest);
  } else {
    what = `unit ${t.unit}`;
    let unit: string;
    try {
      unit = checkUnit(t.unit, 'a unit target');
    } catch (err) {
      throw new FaultRefusedError((err as Error).message, 'bad-argument');
    }
    pids = await unitPids(unit);
  }
  pids = pids.filter((p) => p !== process.pid || given[0] === 'pid');
  if (pids.includes(process.pid))
    throw new FaultRefusedError(
      `${what} is the agent itself; pausing or killing it would end the test's access to this guest`,
      'agent-process',
    );
  if (pids.length === 0)
    throw new FaultRefusedError(
      `no ${what} runs on this guest${process.env.ROC_GUEST ? ` (lab guest ${process.env.ROC_GUEST}: only processes its agent started count)` : ''}`,
      'no-process',
    );
  return { pids, what };
}

/**
 * Stops every process (SIGSTOP), all or nothing: when one cannot be stopped,
 * those stopped before it are resumed and the pause is refused, so no process
 * is left stopped with no fault to heal it.
 */
export function stopAll(pids: readonly number[], what: string, kill = process.kill.bind(process)): void {
  const stopped: number[] = [];
  try {
    for (const pid of pids) {
      kill(pid, 'SIGSTOP');
      stopped.push(pid);
    }
  } catch (err) {
    for (const pid of stopped) {
      try {
        kill(pid, 'SIGCONT');
      } catch {
        // gone since
      }
    }
    const code = (err as NodeJS.ErrnoException).code;
    throw new FaultRefusedError(
      `${what}: pid ${pids[stopped.length]} could not be stopped (${code ?? (err as Error).message}); the ${stopped.length} stopped before it were resumed, nothing is paused`,
      code === 'EPERM' ? 'permission' : 'no-process',
    );
  }
}
