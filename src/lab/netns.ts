import { execa } from 'execa';
import { isIPv4 } from 'node:net';
import type { GuestSpec } from '../topology/index.js';
import { NetnsError } from './errors.js';

/** Names of what a netns lab creates: all derived from the lab id, so down can find leftovers. */
export const netnsName = (labId: string, guest: string): string => `roc-${labId}-${guest}`;
export const bridgeName = (labId: string): string => `rb-${labId}`;
const vethHost = (labId: string, i: number): string => `rv${labId}${i}`;
const vethGuest = (labId: string, i: number): string => `rg${labId}${i}`;

async function ip(args: string[]): Promise<string> {
  const r = await execa('ip', args, { reject: false });
  if (r.exitCode !== 0)
    throw new NetnsError(`ip ${args.join(' ')} failed: ${String(r.stderr).trim() || r.shortMessage}`, {
      command: `ip ${args.join(' ')}`,
      stderr: String(r.stderr).trim(),
    });
  return String(r.stdout);
}

export async function checkNetnsPossible(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new NetnsError(
      '--netns needs root (it makes network namespaces and a bridge); run as root, or drop --netns to use loopback addresses',
    );
  const r = await execa('ip', ['-V'], { reject: false });
  if (r.exitCode !== 0)
    throw new NetnsError('--netns needs iproute2 (the ip command); install it, or drop --netns', { command: 'ip -V' });
}

/** The /24 a guest's address is in, and the bridge address for it (.1, or the highest free). */
function plan(specs: readonly GuestSpec[]): Map<string, string> {
  const subnets = new Map<string, Set<number>>();
  for (const s of specs) {
    if (!isIPv4(s.host) || s.host.startsWith('127.'))
      throw new NetnsError(
        `--netns gives each guest its topology address on a bridge: guest ${s.name}'s host ${s.host} must be an IPv4 address outside 127.0.0.0/8 (for example 192.168.56.11)`,
      );
    const parts = s.host.split('.');
    const key = parts.slice(0, 3).join('.');
    const used = subnets.get(key) ?? new Set<number>();
    used.add(Number(parts[3]));
    subnets.set(key, used);
  }
  const gateways = new Map<string, string>();
  for (const [subnet, used] of subnets) {
    const last = [1, 254, 253, 252].find((n) => !used.has(n));
    gateways.set(subnet, `${subnet}.${last}`);
  }
  return gateways;
}

export interface NetnsLayout {
  bridge: string;
  gateways: string[];
  namespaces: Record<string, string>;
}

/** Makes a bridge with one address per /24, and per guest a namespace wired to it by a veth pair. */
export async function createNetns(labId: string, specs: readonly GuestSpec[]): Promise<NetnsLayout> {
  const gateways = plan(specs);
  const bridge = bridgeName(labId);
  await ip(['link', 'add', bridge, 'type', 'bridge']);
  for (const gw of gateways.values()) await ip(['addr', 'add', `${gw}/24`, 'dev', bridge]);
  await ip(['link', 'set', bridge, 'up']);
  const namespaces: Record<string, string> = {};
  for (const [i, s] of specs.entries()) {
    const ns = netnsName(labId, s.name);
    const gw = gateways.get(s.host.split('.').slice(0, 3).join('.'))!;
    await ip(['netns', 'add', ns]);
    namespaces[s.name] = ns;
    await ip(['link', 'add', vethHost(labId, i), 'type', 'veth', 'peer', 'name', vethGuest(labId, i)]);
    await ip(['link', 'set', vethGuest(labId, i), 'netns', ns]);
    await ip(['-n', ns, 'link', 'set', vethGuest(labId, i), 'name', 'eth0']);
    await ip(['-n', ns, 'addr', 'add', `${s.host}/24`, 'dev', 'eth0']);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    await ip(['-n', ns, 'route', 'add', 'default', 'via', gw]);
    await ip(['link', 'set', vethHost(labId, i), 'master', bridge]);
    await ip(['link', 'set', vethHost(labId, i), 'up']);
  }
  return { bridge, gateways: [...gateways.values()], namespaces };
}

/** Removes every namespace and link of this lab id, state file or not. Returns what it removed. */
export async function removeNetns(labId: string): Promise<string[]> {
  const removed: string[] = [];
  const list = await execa('ip', ['netns', 'list'], { reject: false });
  for (const line of String(list.stdout).split('\n')) {
    const ns = line.split(' ')[0];
    if (ns && ns.startsWith(`roc-${labId}-`)) {
      await ip(['netns', 'del', ns]);
      removed.push(`netns ${ns}`);
    }
  }
  const links = await execa('ip', ['-o', 'link', 'show'], { reject: false });
  for (const line of String(links.stdout).split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && (name === bridgeName(labId) || name.startsWith(`rv${labId}`))) {
      await ip(['link', 'del', name]).catch(() => undefined); // a veth may vanish with its namespace
      removed.push(`link ${name}`);
    }
  }
  return removed;
}
