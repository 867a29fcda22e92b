import { loadExeca } from './execa.js';
import { GuestCommandError } from './errors.js';

/** A systemd unit's name as systemd writes them; never one that starts with `-`, which a program would read as an option. */
const UNIT = /^[A-Za-z0-9@_:.\\][A-Za-z0-9@._:\\-]*$/;

/** The unit name, checked; `what` says where it was given, for the message. */
export function checkUnit(unit: unknown, what = 'unit'): string {
  if (typeof unit !== 'string' || unit.length > 256 || !UNIT.test(unit))
    throw new TypeError(
      `${what} needs a unit name such as nginx or nginx.service (letters, digits, @ . _ : \\ -, not starting with -), got ${JSON.stringify(unit)}`,
    );
  return unit;
}

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
