import { isIPv4 } from 'node:net';
import { loadExeca } from './execa.js';
import { FaultRefusedError, GuestCommandError } from './errors.js';
import type { FaultDirection } from './types.js';

/** One network fault as the firewall sees it. */
export interface NetRule {
  readonly id: string;
  readonly kind: 'block' | 'loss';
  readonly direction: FaultDirection;
  /** IP addresses. */
  readonly peers: readonly string[];
  /** For loss: the share of packets dropped, 1-100. */
  readonly percent: number;
  /** When the fault lapses, on the monotonic clock (performance.now()): a clock fault does not move it. nftables expires the rule's addresses by itself then, even if the agent is gone. */
  readonly deadline: number;
}

export type Firewall = 'nftables' | 'iptables';

/**
 * The only table (nftables) and chains (iptables) an agent touches: its own,
 * named after the port it listens on, so agents that share a network
 * namespace never rewrite or remove each other's rules. Heal removes these
 * and nothing else.
 */
export const nftTable = (agentPort: number): string => `roc_nemesis_${agentPort}`;
const iptChain = (hook: 'in' | 'out', agentPort: number): string =>
  `ROC_NEMESIS_${hook === 'in' ? 'IN' : 'OUT'}_${agentPort}`;
const IPT_HOOK = { in: 'INPUT', out: 'OUTPUT' } as const;

interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  command: string;
  missing: boolean;
}

async function run(file: string, args: string[], input?: string): Promise<Run> {
  const { execa } = await loadExeca();
  const r = await execa(file, args, { reject: false, input, timeout: 30_000, encoding: 'utf8' });
  return {
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? '').trim(),
    command: r.command,
    missing: (r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT',
  };
}

function failed(r: Run, what: string): Error {
  if (/Operation not permitted|Permission denied|must be root/i.test(r.stderr))
    return new FaultRefusedError(
      `${what}: ${r.command} was refused (${r.stderr.split('\n')[0]}): network faults need CAP_NET_ADMIN; run the agent as root, or install it with install-agent.sh --user roc --faults`,
      'permission',
    );
  return new GuestCommandError(`${what}: ${r.command} failed with exit code ${r.exitCode}: ${r.stderr}`, {
    command: r.command,
    exitCode: r.exitCode ?? null,
    stderr: r.stderr,
  });
}

let chosen: Promise<Firewall> | undefined;

/** nftables where `nft` runs; iptables (with -w) where only it does. ROC_NEMESIS_FIREWALL=iptables forces the fallback. */
export function firewall(): Promise<Firewall> {
  chosen ??= (async () => {
    const forced = process.env.ROC_NEMESIS_FIREWALL;
    if (forced === 'nftables' || forced === 'iptables') return forced;
    if (!(await run('nft', ['--version'])).missing) return 'nftables';
    if (!(await run('iptables', ['--version'])).missing) return 'iptables';
    throw new FaultRefusedError(
      'network faults need nftables (nft) or iptables on the guest; install nftables (provisioning/install-agent.sh does)',
      'no-firewall',
    );
  })();
  chosen.catch(() => (chosen = undefined));
  return chosen;
}

const wants = (rule: NetRule, hook: 'in' | 'out'): boolean => rule.direction === 'both' || rule.direction === hook;
const family = (peers: readonly string[], v4: boolean): string[] => peers.filter((p) => isIPv4(p) === v4);

/**
 * The whole nftables table for these rules, replacing the one before in one
 * transaction. Each fault's addresses are a set with a timeout: the kernel
 * forgets them when the fault's TTL passes, whether or not the agent lives.
 * Traffic to and from the agent's port is accepted first: no fault cuts a
 * controller from an agent.
 */
export function nftScript(rules: readonly NetRule[], agentPort: number, now = performance.now()): string {
  const table = nftTable(agentPort);
  const lines = [`add table inet ${table}`, `delete table inet ${table}`];
  if (rules.length === 0) return `${lines.join('\n')}\n`;
  lines.push(`table inet ${table} {`);
  const sets: string[] = [];
  const chains: Record<'in' | 'out', string[]> = { in: [], out: [] };
  for (const rule of rules) {
    const timeout = Math.max(1, Math.ceil((rule.deadline - now) / 1000));
    for (const [v4, ip, type] of [
      [true, 'ip', 'ipv4_addr'],
      [false, 'ip6', 'ipv6_addr'],
    ] as const) {
      const addrs = family(rule.peers, v4);
      if (addrs.length === 0) continue;
      const set = `${rule.id}_${v4 ? 4 : 6}`;
      sets.push(
        `  set ${set} { type ${type}; flags timeout; timeout ${timeout}s; elements = { ${addrs.join(', ')} } }`,
      );
      const verdict = rule.kind === 'loss' ? `numgen random mod 100 < ${rule.percent} drop` : 'drop';
      if (wants(rule, 'in')) chains.in.push(`    ${ip} saddr @${set} ${verdict}`);
      if (wants(rule, 'out')) chains.out.push(`    ${ip} daddr @${set} ${verdict}`);
    }
  }
  lines.push(...sets);
  for (const [hook, name] of [
    ['in', 'input'],
    ['out', 'output'],
  ] as const) {
    lines.push(
      `  chain ${name} {`,
      `    type filter hook ${name} priority filter - 10; policy accept;`,
      // Agents' traffic, both ways: calls to this agent and their answers, and calls to peers' agents.
      `    tcp dport ${agentPort} accept`,
      `    tcp sport ${agentPort} accept`,
      ...chains[hook],
      '  }',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** iptables rules (as argument lists) for one hook and one address family. */
function iptRules(rules: readonly NetRule[], hook: 'in' | 'out', v4: boolean, agentPort: number): string[][] {
  const chain = iptChain(hook, agentPort);
  const out: string[][] = [
    ['-A', chain, '-p', 'tcp', '--dport', String(agentPort), '-j', 'RETURN'],
    ['-A', chain, '-p', 'tcp', '--sport', String(agentPort), '-j', 'RETURN'],
  ];
  for (const rule of rules) {
    if (!wants(rule, hook)) continue;
    for (const peer of family(rule.peers, v4)) {
      const match = hook === 'in' ? ['-s', peer] : ['-d', peer];
      const share =
        rule.kind === 'loss'
          ? ['-m', 'statistic', '--mode', 'random', '--probability', String(rule.percent / 100)]
          : [];
      out.push(['-A', chain, ...match, ...share, '-m', 'comment', '--comment', `roc ${rule.id}`, '-j', 'DROP']);
    }
  }
  return out;
}

async function applyIptables(rules: readonly NetRule[], agentPort: number): Promise<void> {
  for (const [tool, v4] of [
    ['iptables', true],
    ['ip6tables', false],
  ] as const) {
    const mine = rules.filter((r) => family(r.peers, v4).length > 0);
    const ipt = (args: string[]): Promise<Run> => run(tool, ['-w', ...args]);
    if ((await ipt(['--version'])).missing) {
      if (mine.length)
        throw failed(
          { exitCode: undefined, stdout: '', stderr: `${tool} is not installed`, command: tool, missing: true },
          'network fault',
        );
      continue;
    }
    for (const hook of ['in', 'out'] as const) {
      const chain = iptChain(hook, agentPort);
      const jumped = (await ipt(['-C', IPT_HOOK[hook], '-j', chain])).exitCode === 0;
      if (mine.length === 0) {
        // Nothing of ours left: unhook and remove only our own chain.
        if (jumped) await ipt(['-D', IPT_HOOK[hook], '-j', chain]);
        await ipt(['-F', chain]);
        await ipt(['-X', chain]);
        continue;
      }
      await ipt(['-N', chain]); // fails harmlessly when it exists
      const flushed = await ipt(['-F', chain]);
      if (flushed.exitCode !== 0) throw failed(flushed, 'network fault');
      for (const args of iptRules(mine, hook, v4, agentPort)) {
        const r = await ipt(args);
        if (r.exitCode !== 0) throw failed(r, 'network fault');
      }
      if (!jumped) {
        const r = await ipt(['-I', IPT_HOOK[hook], '1', '-j', chain]);
        if (r.exitCode !== 0) throw failed(r, 'network fault');
      }
    }
  }
}

/** Makes the firewall hold exactly these rules of ours (none: our table and chains are gone). */
export async function applyNetRules(rules: readonly NetRule[], agentPort: number): Promise<Firewall> {
  const fw = await firewall();
  if (fw === 'nftables') {
    const r = await run('nft', ['-f', '-'], nftScript(rules, agentPort));
    if (r.exitCode !== 0) throw failed(r, 'network fault');
  } else {
    await applyIptables(rules, agentPort);
  }
  return fw;
}

/** Removes whatever a crashed run of this agent left: its nftables table, its iptables chains. Never fails. */
export async function removeAllNetRules(agentPort: number): Promise<void> {
  try {
    const fw = await firewall();
    if (fw === 'nftables') await run('nft', ['-f', '-'], nftScript([], agentPort));
    else await applyIptables([], agentPort);
  } catch {
    // no firewall tool: there can be no rules of ours either
  }
}
