import { readdir, readFile } from 'node:fs/promises';
import type { ProcessInfo } from './types.js';

export { start, started, stop } from './daemons.js';

async function one(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const [stat, cmdline, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    // The name is in parentheses and may itself hold spaces or parentheses.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    return {
      pid,
      ppid: Number(fields[1]),
      name: stat.slice(open + 1, close),
      cmdline: cmdline.split('\0').filter(Boolean).join(' '),
      uid,
    };
  } catch {
    return undefined; // gone between readdir and read
  }
}

/** Every process this guest's agent can see, from /proc. */
export async function list(): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const all = await Promise.all(pids.map(one));
  return all.filter((p): p is ProcessInfo => p !== undefined).sort((a, b) => a.pid - b.pid);
}

/** Processes whose name is `name`, or whose command line contains it. */
export async function find(name: string): Promise<ProcessInfo[]> {
  if (typeof name !== 'string' || !name) throw new TypeError('processes.find needs a name');
  return (await list()).filter((p) => p.name === name || p.cmdline.includes(name));
}

/** Whether a process with this pid runs (a zombie does not). */
export async function alive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid < 1) throw new TypeError('processes.alive takes a pid');
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !'ZX'.includes(stat.slice(stat.lastIndexOf(')') + 2)[0] ?? 'X');
  } catch {
    return false;
  }
}
