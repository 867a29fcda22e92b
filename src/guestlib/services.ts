import { loadExeca } from './execa.js';
import { GuestCommandError } from './errors.js';
import { followJournal } from './journal-follower.js';
import { checkUnit, systemctl } from './systemctl.js';
import type { ServiceStatus } from './types.js';

function needUnit(unit: unknown, fn: string): asserts unit is string {
  checkUnit(unit, `services.${fn}`);
}

/** systemctl's own exit code answers the question; 0 means yes. */
export async function isActive(unit: string): Promise<boolean> {
  needUnit(unit, 'isActive');
  return (await systemctl(['is-active', '--quiet', unit])).exitCode === 0;
}

export async function isEnabled(unit: string): Promise<boolean> {
  needUnit(unit, 'isEnabled');
  return (await systemctl(['is-enabled', '--quiet', unit])).exitCode === 0;
}

export async function status(unit: string): Promise<ServiceStatus> {
  needUnit(unit, 'status');
  const r = await systemctl(['show', unit, '--property=ActiveState,SubState,UnitFileState', '--no-pager']);
  const props = Object.fromEntries(
    r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    unit,
    active: props.ActiveState ?? 'unknown',
    sub: props.SubState ?? 'unknown',
    enabled: props.UnitFileState ?? 'unknown',
  };
}

async function change(verb: 'start' | 'stop' | 'restart', unit: string): Promise<null> {
  needUnit(unit, verb);
  const r = await systemctl([verb, unit]);
  if (r.exitCode !== 0)
    throw new GuestCommandError(
      `systemctl ${verb} ${unit} failed with exit code ${r.exitCode}: ${r.stderr || r.stdout || '(no output)'}`,
      { command: `systemctl ${verb} ${unit}`, exitCode: r.exitCode, stderr: r.stderr },
    );
  return null;
}

export const start = (unit: string): Promise<null> => change('start', unit);
export const stop = (unit: string): Promise<null> => change('stop', unit);
export const restart = (unit: string): Promise<null> => change('restart', unit);

/** The unit's most recent journal lines, oldest first. */
export async function journal(unit: string, lines = 50): Promise<string[]> {
  needUnit(unit, 'journal');
  if (!Number.isInteger(lines) || lines < 1) throw new TypeError('services.journal takes a positive number of lines');
  const { execa } = await loadExeca();
  const r = await execa('journalctl', ['-u', unit, '-n', String(lines), '--no-pager', '-o', 'cat'], {
    reject: false,
    timeout: 60_000,
  });
  if (r.exitCode === undefined)
    throw new GuestCommandError(`cannot run journalctl on this guest: ${r.shortMessage}`, {
      command: r.command,
      cause: r.cause,
    });
  if (r.exitCode !== 0)
    throw new GuestCommandError(
      `journalctl -u ${unit} failed with exit code ${r.exitCode}: ${String(r.stderr).trim()}`,
      { command: r.command, exitCode: r.exitCode, stderr: String(r.stderr).trim() },
    );
  // journalctl answers a user who may not read the system journal with nothing and a hint, not an error.
  if (/not seeing messages from other users and the system/.test(String(r.stderr)))
    throw new GuestCommandError(
      `journalctl -u ${unit}: the agent's user (uid ${process.getuid?.()}) may not read the system journal; add it to the systemd-journal group (usermod -aG systemd-journal <user>, then restart the agent) to read units' journals`,
      { command: r.command, exitCode: r.exitCode, stderr: String(r.stderr).trim() },
    );
  const text = String(r.stdout);
  return text
    ? text
        .replace(/\n$/, '')
        .split('\n')
        .filter((l) => l !== '-- No entries --')
    : [];
}

/** The unit's journal as it is written (journalctl -f): the lines from when follow() was called on, or from its last `lines` lines. */
export async function follow(unit: string, options: { lines?: number } = {}): Promise<AsyncIterable<string>> {
  needUnit(unit, 'follow');
  const lines = options.lines ?? 0;
  if (!Number.isInteger(lines) || lines < 0) throw new TypeError('services.follow takes a whole number of lines');
  // --since now, not -n 0: journalctl starts after this resolves, and a line written in between must not be lost.
  const start = lines > 0 ? ['-n', String(lines)] : [`--since=@${(Date.now() / 1000).toFixed(6)}`];
  return followJournal(unit, start);
}
