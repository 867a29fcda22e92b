import { loadExeca } from './execa.js';
import { GuestCommandError } from './errors.js';

/** Runs systemctl; a guest without it, or without a running systemd, is an error that says so. */
export async function systemctl(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { execa } = await loadExeca();
  const r = await execa('systemctl', args, { reject: false, timeout: 60_000 });
  if (r.exitCode === undefined) {
    throw new GuestCommandError(
      `cannot run systemctl on this guest: ${(r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'it is not installed (services need systemd)' : r.shortMessage}`,
      { command: r.command, cause: r.cause },
    );
  }
  if (/System has not been booted with systemd|Failed to connect to bus/.test(r.stderr)) {
    throw new GuestCommandError(
      `systemd is not running on this guest (${r.stderr.trim().split('\n')[0]}); services need a systemd guest`,
      { command: r.command, exitCode: r.exitCode, stderr: r.stderr },
    );
  }
  return { exitCode: r.exitCode, stdout: String(r.stdout).trim(), stderr: String(r.stderr).trim() };
}
