// transport: ssh at scale, on guests that are machines of their own: booted
// Debian 12 nspawn guests (the nspawn provider's box), each with its own
// sshd and network namespace, Node.js and nothing of ROC. It times the first
// call on all of them (every agent started over ssh at once) and a ping of
// all, and beside them the same guests running a provisioned agent
// (transport: agent). Needs root, systemd-nspawn, debootstrap and vagrant.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTopology } from 'roc-toolkit';
import { buildNspawnBox } from '../dist/src/cli/vagrant.js';
import { labIdOf } from '../dist/src/lab/index.js';
import { writeTokenFile } from '../dist/src/protocol/index.js';
import { NspawnLab, readyForSsh, vagrantSshConfig } from '../dist/test/e2e/nspawn.js';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Why this machine cannot boot the guests, or undefined. */
export function nspawnGuestsMissing() {
  if (process.getuid?.() !== 0) return 'needs root (systemd-nspawn, network namespaces, mounts)';
  for (const cmd of ['systemd-nspawn', 'debootstrap', 'ip', 'ssh', 'vagrant'])
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return `needs ${cmd}`;
  return undefined;
}

const time = async (fn) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

/**
 * Boots `count` guests, with Node.js installed once into a layer they share;
 * `measure(topologies, guests)` runs with the guests ready; everything is
 * stopped and removed after.
 */
export async function withNspawnGuests(count, measure) {
  const box = buildNspawnBox('ignore');
  const dir = mkdtempSync(join(os.tmpdir(), 'roc-bench-nspawn-'));
  writeTokenFile(join(dir, 'token'));
  // 198.18.0.0/15 is set aside for network tests (RFC 2544): it exists only inside these namespaces.
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const host = (i) => `198.18.59.${11 + i}`;
  vagrantSshConfig(dir, '198.18.59.*');
  const modules = join(root, 'examples/remote_class.js');
  const write = (file, defaults) => {
    writeFileSync(
      join(dir, file),
      [`defaults: { ${defaults} }`, 'guests:', ...names.map((n, i) => `  ${n}: { host: ${host(i)} }`), ''].join('\n'),
    );
    return join(dir, file);
  };
  const sshFile = write(
    'ssh.yml',
    `transport: ssh, timeout: 60s, modules: [${modules}], ssh: { config_file: ssh_config }`,
  );
  const agentFile = write('agent.yml', 'port: 7007, token_file: token, timeout: 60s');
  const lab = await NspawnLab.create(labIdOf(sshFile), [...loadTopology(sshFile).specs.values()], join(dir, 'guests'));
  try {
    // Node.js goes into a layer of its own, once, from the box's apt cache (as install-node.sh installs it on a
    // Vagrant box); every guest's root is that layer over the box, and its own changes over both.
    const base = lab.boot('nodelayer', box, [`${root}:/vagrant`], lab.layout.namespaces[names[0]]);
    await base.waitForBoot();
    const installed = base.exec('sh', ['/vagrant/provisioning/install-node.sh']);
    if (installed.status !== 0) throw new Error(`install-node.sh: ${installed.stdout}${installed.stderr}`);
    await base.stop();
    spawnSync('umount', [base.merged]);
    const lower = `${join(dir, 'guests', 'nodelayer', 'upper')}:${box}`;
    const guests = names.map((name) => lab.boot(name, lower, [`${root}:/vagrant`, `${dir}:/roc-bench`]));
    await Promise.all(guests.map((g) => g.waitForBoot(300_000).then(() => readyForSsh(g, 120_000))));
    await measure({ sshFile, agentFile }, guests);
  } finally {
    await lab.close();
  }
}

/** The figures: first call on all and a ping of all, over ssh and through provisioned agents, on the same guests. */
export async function sshAtScale(count, rounds) {
  const out = {};
  await withNspawnGuests(count, async ({ sshFile, agentFile }, guests) => {
    const pings = async (topology) => {
      const times = [];
      for (let i = 0; i < rounds; i++) {
        const t = process.hrtime.bigint();
        const r = await topology.guests().ping();
        if (!r.ok) throw new Error(`ping: ${r.failed.join(', ')} failed`);
        times.push(Number(process.hrtime.bigint() - t) / 1000);
      }
      return times;
    };
    const ssh = loadTopology(sshFile);
    try {
      out.sshFirstMs = await time(async () => {
        const r = await ssh.guests().ping();
        if (!r.ok) throw new Error(`transport: ssh: ${r.failed.join(', ')} failed: ${r.failures[0]?.error.message}`);
      });
      out.sshPingUs = await pings(ssh);
    } finally {
      ssh.close();
    }
    // The same guests with the agent provisioned as a service (what install-agent.sh sets up), started at once.
    const agents = loadTopology(agentFile);
    try {
      out.agentFirstMs = await time(async () => {
        for (const g of guests) {
          const r = g.exec('systemd-run', [
            '--unit=roc-agent-bench',
            'node',
            ...['--max-semi-space-size=2', '/vagrant/dist/agent/roc-agent.js', '-q'],
            ...['-m', '/vagrant/examples/remote_class.js', '--host', '0.0.0.0', '-p', '7007'],
            ...['--token-file', '/roc-bench/token'],
          ]);
          if (r.status !== 0) throw new Error(`systemd-run on ${g.name}: ${r.stderr}`);
        }
        const r = await agents.guests().waitUntilReady({ timeout: 60_000 });
        if (!r.ok) throw new Error(`transport: agent: ${r.failed.join(', ')} failed`);
      });
      out.agentPingUs = await pings(agents);
    } finally {
      agents.close();
    }
  });
  return out;
}
