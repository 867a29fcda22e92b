import { lookup } from 'node:dns/promises';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { loadExeca } from './execa.js';
import { FaultRefusedError } from './errors.js';
import { find } from './processes.js';
import type { ProcessTarget } from './types.js';

const bare = (address: string): string => address.replace(/^::ffff:/, '');

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

/** The processes a target names on this guest; never the agent itself. */
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
    what = `pid ${t.pid}`;
    pids = existsSync(`/proc/${t.pid}`) ? [Number(t.pid)] : [];
  } else if (given[0] === 'process') {
    what = `process ${t.process}`;
    pids = (await find(String(t.process))).map((p) => p.pid).filter(ofThisGuest);
  } else {
    what = `unit ${t.unit}`;
    pids = await unitPids(String(t.unit));
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
