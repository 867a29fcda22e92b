import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { RocError } from '../wire/errors.js';
import { tailFile } from './file-tail.js';
import { journal } from './services.js';
import type { InterfaceAddress, SystemFacts } from './types.js';

async function osRelease(): Promise<Record<string, string>> {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const text = await readFile(file, 'utf8');
      const out: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
        if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
      }
      return out;
    } catch {
      // try the next one
    }
  }
  return {};
}

export async function facts(): Promise<SystemFacts> {
  return {
    hostname: os.hostname(),
    os: await osRelease(),
    kernel: os.release(),
    arch: os.arch(),
    uptime: os.uptime(),
    cpus: os.cpus().length,
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    addresses: addresses(),
    guest: process.env.ROC_GUEST || null,
  };
}

function addresses(): InterfaceAddress[] {
  return Object.entries(os.networkInterfaces()).flatMap(([name, list]) =>
    (list ?? []).map((a) => ({
      interface: name,
      address: a.address,
      family: a.family,
      prefix: Number(a.cidr?.split('/')[1] ?? 0),
      internal: a.internal,
    })),
  );
}

export async function hostname(): Promise<string> {
  return os.hostname();
}

export async function uptime(): Promise<number> {
  return os.uptime();
}

/** The systemd unit this process runs in, from its cgroup (roc-agent.service when provisioned). */
async function ownUnit(): Promise<string | undefined> {
  try {
    const cgroup = await readFile('/proc/self/cgroup', 'utf8');
    return /\/([^/\n]+\.service)$/m.exec(cgroup)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The agent's own last output lines, oldest first: its unit's journal when
 * systemd runs it, the part of its log file it wrote in a lab. This is what a
 * failed test's report shows of the guest.
 */
export async function agentLog(lines = 50): Promise<string[]> {
  if (!Number.isInteger(lines) || lines < 1)
    throw new TypeError('system.agentLog takes a positive whole number of lines');
  const file = process.env.ROC_AGENT_LOG;
  if (file) return tailFile(file, lines, Number(process.env.ROC_AGENT_LOG_FROM ?? 0) || 0);
  const unit = await ownUnit();
  if (unit) return journal(unit, lines);
  throw new RocError(
    'this agent writes its output to no journal or file it knows of (it is not a systemd service, and no ROC_AGENT_LOG names its log): run it as the roc-agent service, or set ROC_AGENT_LOG to the file its output goes to',
  );
}
