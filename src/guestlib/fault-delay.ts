import { isIPv4 } from 'node:net';
import { loadExeca } from './execa.js';
import { FaultRefusedError, GuestCommandError } from './errors.js';

// A delay to some peers only: a prio qdisc with a fourth band that nothing
// uses but the filters for the peers' addresses, and netem on that band.
// Everything else, the controller's connection included, keeps its speed.

/** Root qdiscs a machine has before anyone configures one: replacing these loses nothing. */
const DEFAULT_ROOTS = new Set(['noqueue', 'pfifo_fast', 'fq_codel', 'fq', 'mq', 'pfifo']);

interface TcRun {
  ok: boolean;
  stdout: string;
  stderr: string;
  command: string;
  exitCode: number | undefined;
}

async function tc(args: string[]): Promise<TcRun> {
  const { execa } = await loadExeca();
  const r = await execa('tc', args, { reject: false, timeout: 30_000, encoding: 'utf8' });
  if ((r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new FaultRefusedError('delay needs tc (iproute2) on the guest; install iproute2', 'no-qdisc');
  return {
    ok: r.exitCode === 0,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? '').trim(),
    command: r.command,
    exitCode: r.exitCode,
  };
}

/** The interface packets to peer leave by. */
export async function deviceTo(peer: string): Promise<string> {
  const { execa } = await loadExeca();
  const r = await execa('ip', ['-o', 'route', 'get', peer], { reject: false, encoding: 'utf8' });
  const dev = / dev (\S+)/.exec(String(r.stdout ?? ''))?.[1];
  if (!dev)
    throw new GuestCommandError(`no route to ${peer} on this guest: ${String(r.stderr ?? '').trim()}`, {
      command: r.command,
      exitCode: r.exitCode ?? null,
      stderr: String(r.stderr ?? ''),
    });
  return dev;
}

/** Delays packets leaving dev for the peers by ms (± jitterMs). */
export async function applyDelay(dev: string, peers: readonly string[], ms: number, jitterMs: number): Promise<void> {
  const kind = /^qdisc (\S+)/.exec((await tc(['qdisc', 'show', 'dev', dev, 'root'])).stdout)?.[1];
  if (kind && !DEFAULT_ROOTS.has(kind))
    throw new FaultRefusedError(
      `${dev} already has a ${kind} root qdisc that ROC did not make; a delay would replace it. Remove it (tc qdisc del dev ${dev} root) or use another fault`,
      'qdisc-taken',
    );
  const steps: string[][] = [
    ['qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'prio', 'bands', '4'],
    [
      'qdisc',
      'add',
      'dev',
      dev,
      'parent',
      '1:4',
      'handle',
      '40:',
      'netem',
      'delay',
      `${ms}ms`,
      ...(jitterMs ? [`${jitterMs}ms`] : []),
    ],
    ...peers.map((p) => {
      const [protocol, prio, match, bits] = isIPv4(p) ? ['ip', '1', 'ip', 32] : ['ipv6', '2', 'ip6', 128];
      return [
        'filter',
        'add',
        'dev',
        dev,
        'parent',
        '1:',
        'protocol',
        protocol,
        'prio',
        prio,
        'u32',
        'match',
        match,
        'dst',
        `${p}/${bits}`,
        'flowid',
        '1:4',
      ];
    }),
  ];
  for (const [i, args] of steps.entries()) {
    const r = await tc(args);
    if (r.ok) continue;
    if (i > 0) await tc(['qdisc', 'del', 'dev', dev, 'root']); // all or nothing
    if (/qdisc kind is unknown/i.test(r.stderr)) {
      const missing = i === 0 ? 'prio (sch_prio)' : 'netem (sch_netem)';
      throw new FaultRefusedError(
        `delay needs the ${missing} queueing discipline, which this guest's kernel does not have (${r.stderr}); load it with modprobe ${missing.replace(/.*\((.*)\)/, '$1')}, or use loss or block instead`,
        'no-qdisc',
      );
    }
    if (/Operation not permitted/i.test(r.stderr))
      throw new FaultRefusedError(
        `${r.command} was refused (${r.stderr}): delay needs CAP_NET_ADMIN; run the agent as root, or install it with install-agent.sh --user roc --faults`,
        'permission',
      );
    throw new GuestCommandError(`${r.command} failed with exit code ${r.exitCode}: ${r.stderr}`, {
      command: r.command,
      exitCode: r.exitCode ?? null,
      stderr: r.stderr,
    });
  }
}

/**
 * Puts dev's root qdisc back to the kernel's default, only when it is the one
 * a delay makes (prio, handle 1:, with our netem 40: under it): a qdisc ROC did
 * not make is never removed, whatever a state file says.
 */
export async function removeDelay(dev: string): Promise<void> {
  if (typeof dev !== 'string' || !/^[\w.@:-]{1,15}$/.test(dev)) return;
  const shown = (await tc(['qdisc', 'show', 'dev', dev])).stdout;
  const ours = /^qdisc prio 1: root /m.test(shown) && /^qdisc netem 40: parent 1:4 /m.test(shown);
  if (ours) await tc(['qdisc', 'del', 'dev', dev, 'root']);
}
