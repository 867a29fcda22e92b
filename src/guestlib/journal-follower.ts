import { spawn } from 'node:child_process';
import { childEnv, helperPids } from './child.js';
import { GuestCommandError } from './errors.js';
import { StreamQueue } from './line-stream.js';

/**
 * A unit's journal as it is written (journalctl -f), line by line, from
 * where `start` says (`--since=...`, `-n N`, a journal match); leaving the
 * loop stops journalctl.
 */
export function followJournal(unit: string, start: readonly string[]): StreamQueue<string> {
  const args = ['-u', unit, '-f', ...start, '--no-pager', '-o', 'cat'];
  const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'ignore'], env: childEnv() });
  if (child.pid) helperPids.add(child.pid);
  const queue = new StreamQueue<string>(() => child.kill('SIGTERM'));
  queue.add(child.stdout, (line) => line, true);
  child.once('error', (err: NodeJS.ErrnoException) =>
    queue.fail(
      new GuestCommandError(
        `cannot run journalctl on this guest: ${err.code === 'ENOENT' ? 'it is not installed (services need systemd)' : err.message}`,
        { command: `journalctl ${args.join(' ')}`, cause: err },
      ),
    ),
  );
  child.once('close', () => {
    if (child.pid) helperPids.delete(child.pid);
    queue.finish(() => undefined);
  });
  return queue;
}
