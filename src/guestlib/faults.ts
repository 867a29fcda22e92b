import { constants } from 'node:os';
import { callCaller } from './call-context.js';
import { FaultRefusedError } from './errors.js';
import { applyDelay, deviceTo } from './fault-delay.js';
import { applyNetRules } from './fault-net.js';
import { refuseSharedClock, setClockBy } from './fault-clock.js';
import {
  addFault,
  currentAgentPort,
  currentNetRules,
  DEFAULT_FAULT_TTL_MS,
  delayOn,
  healFaults,
  liveFaults,
  MAX_FAULT_TTL_MS,
  newFaultId,
} from './fault-registry.js';
import { peerAddresses, stopAll, targetPids } from './fault-targets.js';
import type { FaultDirection, FaultInfo, FaultOptions, KillResult, NetFaultOptions, ProcessTarget } from './types.js';

// The nemesis on this guest: faults the agent makes on its own machine and
// undoes by itself when they lapse, when it stops, or at its next start.

function ttlOf(options: FaultOptions | undefined): number {
  const ttl = options?.ttlMs ?? DEFAULT_FAULT_TTL_MS;
  if (typeof ttl !== 'number' || !(ttl > 0) || ttl > MAX_FAULT_TTL_MS)
    throw new FaultRefusedError(`a fault's ttlMs must be from 1 ms to 24 hours, got ${String(ttl)}`, 'bad-argument');
  return ttl;
}

function directionOf(options: NetFaultOptions | undefined): FaultDirection {
  const d = options?.direction ?? 'in';
  if (d !== 'in' && d !== 'out' && d !== 'both')
    throw new FaultRefusedError(`direction is in, out or both, got ${JSON.stringify(d)}`, 'bad-argument');
  return d;
}

const ways = { in: 'from', out: 'to', both: 'to and from' } as const;

async function netFault(
  kind: 'block' | 'loss',
  peers: string[],
  percent: number,
  options: NetFaultOptions | undefined,
): Promise<FaultInfo> {
  const ttl = ttlOf(options);
  const direction = directionOf(options);
  const addresses = await peerAddresses(peers, callCaller());
  const id = newFaultId();
  const rule = { id, kind, direction, peers: addresses, percent, deadline: performance.now() + ttl };
  const detail =
    kind === 'block'
      ? `drops packets ${ways[direction]} ${addresses.join(', ')}`
      : `drops ${percent}% of packets ${ways[direction]} ${addresses.join(', ')}`;
  return addFault(
    { id, kind, detail, label: options?.label ?? '', peers: addresses, pids: [] },
    ttl,
    { kind, rule },
    async () => void (await applyNetRules(currentNetRules(), currentAgentPort())),
  );
}

/** Drops every packet from (direction `in`, the default), to (`out`) or both ways between this guest and the peers. */
export function block(peers: string[], options?: NetFaultOptions): Promise<FaultInfo> {
  return netFault('block', peers, 100, options);
}

/** Drops a share (1-99 %) of the packets from, to or both ways between this guest and the peers. */
export function loss(peers: string[], percent: number, options?: NetFaultOptions): Promise<FaultInfo> {
  if (!Number.isInteger(percent) || percent < 1 || percent > 99)
    throw new FaultRefusedError(
      `loss takes a whole percent from 1 to 99 (100 is block), got ${String(percent)}`,
      'bad-argument',
    );
  return netFault('loss', peers, percent, options);
}

/** Delays the packets this guest sends to the peers by ms (± jitterMs), with tc netem; one delay per interface. */
export async function delay(
  peers: string[],
  ms: number,
  options?: FaultOptions & { jitterMs?: number },
): Promise<FaultInfo> {
  if (!Number.isInteger(ms) || ms < 1 || ms > 60_000)
    throw new FaultRefusedError(`delay takes whole milliseconds from 1 to 60000, got ${String(ms)}`, 'bad-argument');
  const jitter = options?.jitterMs ?? 0;
  const ttl = ttlOf(options);
  const addresses = await peerAddresses(peers, callCaller());
  const dev = await deviceTo(addresses[0]!);
  const taken = delayOn(dev);
  if (taken)
    throw new FaultRefusedError(
      `${dev} already delays packets (fault ${taken.id}: ${taken.detail}); heal it first`,
      'qdisc-taken',
    );
  const id = newFaultId();
  return addFault(
    {
      id,
      kind: 'delay',
      detail: `delays packets to ${addresses.join(', ')} by ${ms} ms${jitter ? ` ± ${jitter} ms` : ''} (${dev})`,
      label: options?.label ?? '',
      peers: addresses,
      pids: [],
    },
    ttl,
    { kind: 'delay', dev },
    () => applyDelay(dev, addresses, ms, jitter),
  );
}

/** Stops a process (SIGSTOP) until the fault is healed or lapses (SIGCONT). */
export async function pause(target: ProcessTarget, options?: FaultOptions): Promise<FaultInfo> {
  const ttl = ttlOf(options);
  const { pids, what } = await targetPids(target);
  const id = newFaultId();
  return addFault(
    {
      id,
      kind: 'pause',
      detail: `${what} paused (pid ${pids.join(', ')})`,
      label: options?.label ?? '',
      peers: [],
      pids,
    },
    ttl,
    { kind: 'pause', pids },
    async () => stopAll(pids, what),
  );
}

/** Sends a signal (default SIGKILL) to a process; nothing to heal. */
export async function kill(target: ProcessTarget, signal = 'SIGKILL'): Promise<KillResult> {
  if (!(signal in constants.signals))
    throw new FaultRefusedError(
      `no signal ${JSON.stringify(signal)}; use a name such as SIGKILL or SIGTERM`,
      'bad-argument',
    );
  const { pids } = await targetPids(target);
  for (const pid of pids) process.kill(pid, signal as NodeJS.Signals);
  return { signal, pids };
}

/** Moves this guest's clock by offsetMs, and back when healed. Refused where the clock is not the guest's own. */
export async function clock(offsetMs: number, options?: FaultOptions): Promise<FaultInfo> {
  if (!Number.isFinite(offsetMs) || offsetMs === 0)
    throw new FaultRefusedError(`clock takes a non-zero offset in ms, got ${String(offsetMs)}`, 'bad-argument');
  refuseSharedClock();
  const ttl = ttlOf(options);
  const id = newFaultId();
  return addFault(
    {
      id,
      kind: 'clock',
      detail: `clock moved by ${offsetMs > 0 ? '+' : ''}${offsetMs} ms`,
      label: options?.label ?? '',
      peers: [],
      pids: [],
    },
    ttl,
    { kind: 'clock', offsetMs },
    () => setClockBy(offsetMs),
  );
}

/** Undoes the faults named (every live fault when ids is omitted); resolves with how many. */
export function heal(ids?: string[]): Promise<number> {
  if (ids !== undefined && (!Array.isArray(ids) || ids.some((i) => typeof i !== 'string')))
    throw new FaultRefusedError('heal takes a list of fault ids, or nothing for all', 'bad-argument');
  return healFaults(ids);
}

/** The live faults on this guest, oldest first. */
export async function status(): Promise<FaultInfo[]> {
  return liveFaults();
}
