import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { SystemFacts } from './types.js';

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
  };
}

export async function hostname(): Promise<string> {
  return os.hostname();
}

export async function uptime(): Promise<number> {
  return os.uptime();
}
