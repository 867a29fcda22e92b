import { loadExeca } from './execa.js';
import { FaultRefusedError, GuestCommandError } from './errors.js';

/** A lab agent runs on the machine that runs the tests: its clock is that machine's. */
export function refuseSharedClock(): void {
  if (process.env.ROC_GUEST)
    throw new FaultRefusedError(
      `guest ${process.env.ROC_GUEST} is a lab agent: its clock is the clock of the machine running the lab, which a clock fault would move for everything on it. Clock faults need guests with clocks of their own (VMs)`,
      'clock-shared',
    );
}

/** Moves the system clock by offsetMs (CAP_SYS_TIME). */
export async function setClockBy(offsetMs: number): Promise<void> {
  refuseSharedClock();
  const { execa } = await loadExeca();
  const target = (Date.now() + offsetMs) / 1000;
  const r = await execa('date', ['-u', '-s', `@${target.toFixed(3)}`], { reject: false, encoding: 'utf8' });
  if (r.exitCode === 0) return;
  const stderr = String(r.stderr ?? '').trim();
  if (/not permitted/i.test(stderr))
    throw new FaultRefusedError(
      `cannot set the clock (${stderr}): it needs CAP_SYS_TIME, which containers do not get, as they share their host's clock; clock faults need a VM guest, with the agent running as root`,
      'clock-shared',
    );
  throw new GuestCommandError(`${r.command} failed with exit code ${r.exitCode}: ${stderr}`, {
    command: r.command,
    exitCode: r.exitCode ?? null,
    stderr,
  });
}
