import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDelay } from './fault-delay.js';
import { applyNetRules, removeAllNetRules, type NetRule } from './fault-net.js';
import { setClockBy } from './fault-clock.js';
import { mine, privateStateDir } from './state-dir.js';
import type { FaultInfo } from './types.js';

// The agent's live faults: what each one is, how to undo it, and when it
// lapses. Every change is also written to a state file, so that an agent
// that crashed undoes at its next start what it left (network rules expire
// in the kernel by themselves; a paused process or a moved clock would not).

/** What undoing a fault needs, as saved in the state file. */
export type Undo =
  | { kind: 'block' | 'loss'; rule: NetRule }
  | { kind: 'delay'; dev: string }
  | { kind: 'pause'; pids: number[] }
  | { kind: 'clock'; offsetMs: number };

interface Live {
  info: FaultInfo;
  undo: Undo;
  timer: NodeJS.Timeout;
}

/** How long a fault lives unless told otherwise. */
export const DEFAULT_FAULT_TTL_MS = 10 * 60_000;
/** The longest a fault may live: a test that needs more should renew it. */
export const MAX_FAULT_TTL_MS = 24 * 60 * 60_000;

const live = new Map<string, Live>();
const prefix = randomBytes(3).toString('hex');
let counter = 0;
let agentPort = 0;
let stateFile: string | undefined;
// One change at a time: the firewall holds the rules of every live fault, rewritten whole.
let queue: Promise<unknown> = Promise.resolve();

export function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

export const newFaultId = (): string => `f${prefix}${(++counter).toString(36)}`;

function save(): void {
  if (!stateFile) return;
  if (live.size === 0) {
    rmSync(stateFile, { force: true });
    return;
  }
  const tmp = `${stateFile}.tmp`;
  writeFileSync(tmp, JSON.stringify([...live.values()].map((l) => l.undo)), { mode: 0o600 });
  renameSync(tmp, stateFile);
}

const netRules = (): NetRule[] =>
  [...live.values()].flatMap((l) => (l.undo.kind === 'block' || l.undo.kind === 'loss' ? [l.undo.rule] : []));

async function undo(u: Undo): Promise<void> {
  switch (u.kind) {
    case 'block':
    case 'loss':
      await applyNetRules(netRules(), agentPort); // the rest, without this one
      return;
    case 'delay':
      await removeDelay(u.dev);
      return;
    case 'pause':
      for (const pid of u.pids) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // gone since: nothing to resume
        }
      }
      return;
    case 'clock':
      await setClockBy(-u.offsetMs);
      return;
  }
}

/** Records a fault that `apply` makes (inside the queue); it lapses after ttlMs. */
export function addFault(
  info: Omit<FaultInfo, 'createdAt' | 'expiresAt' | 'createdAtMs' | 'expiresAtMs'>,
  ttlMs: number,
  undoWith: Undo,
  apply: () => Promise<void>,
): Promise<FaultInfo> {
  return serialized(async () => {
    const now = Date.now();
    const full: FaultInfo = {
      ...info,
      createdAt: new Date(now),
      expiresAt: new Date(now + ttlMs),
      createdAtMs: now,
      expiresAtMs: now + ttlMs,
    };
    const timer = setTimeout(() => void healFaults([info.id]).catch(() => undefined), ttlMs);
    // A lapse is housekeeping: it never keeps a stopping agent alive.
    timer.unref();
    live.set(info.id, { info: full, undo: undoWith, timer });
    try {
      await apply();
    } catch (err) {
      clearTimeout(timer);
      live.delete(info.id);
      // All or nothing: iptables may have taken some of the rules before one failed.
      if (undoWith.kind === 'block' || undoWith.kind === 'loss')
        await applyNetRules(netRules(), agentPort).catch(() => undefined);
      throw err;
    }
    save();
    return full;
  });
}

/** The rules of the network faults live now, the new one included, for apply(). */
export const currentNetRules = netRules;
export const currentAgentPort = (): number => agentPort;

/** Heals the faults named (all when ids is undefined); resolves with how many it healed. */
export function healFaults(ids: readonly string[] | undefined): Promise<number> {
  return serialized(async () => {
    const chosen = [...live.values()].filter((l) => ids === undefined || ids.includes(l.info.id));
    const errors: unknown[] = [];
    for (const l of chosen) {
      clearTimeout(l.timer);
      live.delete(l.info.id);
      try {
        await undo(l.undo);
      } catch (err) {
        errors.push(err);
      }
    }
    save();
    if (errors.length) throw errors[0];
    return chosen.length;
  });
}

export const liveFaults = (): FaultInfo[] =>
  [...live.values()].map((l) => l.info).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());

/** True when a delay is live on dev (one per interface). */
export const delayOn = (dev: string): FaultInfo | undefined =>
  [...live.values()].find((l) => l.undo.kind === 'delay' && l.undo.dev === dev)?.info;

/** The port the agent listens on, which no fault may cut: its controller calls it. */
export function faultsPort(port: number): void {
  agentPort = port;
}

/**
 * Called by the agent before it listens: where its faults are saved (by
 * the port it asks for), and undoing what a crashed run there left.
 */
export async function startFaults(options: { port: number; log?: (line: string) => void }): Promise<void> {
  agentPort = options.port;
  let ns = 'host';
  try {
    ns = (await readlink('/proc/self/ns/net')).replace(/\D/g, '');
  } catch {
    // no /proc: one agent per machine
  }
  const dir = privateStateDir(options.log);
  stateFile = dir ? join(dir, `roc-faults-${options.port}-${ns}.json`) : undefined;
  if (!stateFile) return;
  let left: Undo[];
  try {
    const st = lstatSync(stateFile);
    // Only a file this agent's user wrote, in its own folder, is believed.
    if (!st.isFile() || !mine(st, 0o022)) {
      options.log?.(
        `ignoring ${stateFile}: not a file of this agent's own (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`,
      );
      return;
    }
    left = (JSON.parse(readFileSync(stateFile, 'utf8')) as unknown[]).filter(isUndo);
  } catch {
    return; // nothing left behind
  }
  for (const u of left) {
    try {
      if (u.kind === 'block' || u.kind === 'loss') await removeAllNetRules(agentPort);
      else await undo(u);
    } catch (err) {
      options.log?.(`could not undo a ${u.kind} fault left by an earlier run: ${(err as Error).message}`);
    }
  }
  rmSync(stateFile, { force: true });
  options.log?.(`undid ${left.length} fault(s) left by an earlier run of this agent`);
}

/** What a state file may hold: anything else in it is not the agent's and is passed over. */
function isUndo(u: unknown): u is Undo {
  const x = u as Partial<Record<string, unknown>> | null;
  if (!x || typeof x !== 'object') return false;
  if (x.kind === 'block' || x.kind === 'loss') return true; // undone by removing this agent's own table
  if (x.kind === 'delay') return typeof x.dev === 'string';
  if (x.kind === 'pause') return Array.isArray(x.pids) && x.pids.every((p) => Number.isInteger(p) && p > 1);
  if (x.kind === 'clock') return typeof x.offsetMs === 'number' && Number.isFinite(x.offsetMs);
  return false;
}

/** Called by the agent when it stops: no fault outlives it. */
export async function stopFaults(): Promise<void> {
  if (live.size) await healFaults(undefined).catch(() => undefined);
}
