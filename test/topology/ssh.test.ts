/**
 * transport: ssh, against a real OpenSSH server this test starts on a
 * loopback port (root: sshd wants its privilege-separation folder), with the
 * system's ssh client, an ssh configuration of the test's own, and nothing
 * of ROC installed on the "guest" side beyond what the transport streams.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../src/client/index.js';
import { loadTopology, SshGuestError, type Topology } from '../../src/topology/index.js';
import { example, hasCommand, rejection, repoRoot } from '../helpers.js';
import { startLoopbackSshd, sshdMissing, type LoopbackSshd } from '../ssh-server.js';

const why = sshdMissing() || (!hasCommand('ssh') && 'needs the OpenSSH client');

const dir = mkdtempSync(join(tmpdir(), 'roc-ssh-test-'));
let sshd: LoopbackSshd | undefined;
let topology: Topology;

/** Pids of the agents started over ssh (node -e with the bootstrap, its arguments naming @DIR@). */
function sshAgentPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.includes('serve') && args.includes('@DIR@/token')) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** The private folder an agent started over ssh runs from: its modules are there. */
const folderOf = (modules: readonly string[]): string => modules[0]!.replace(/\/modules\/.*$/, '');

before(async () => {
  if (why) return;
  // The second host logs in with a PATH where no node is, as on a guest without Node.js.
  sshd = await startLoopbackSshd(dir, { 'guest-over-ssh': undefined, 'guest-without-node': '/usr/sbin' });
  writeFileSync(
    join(dir, 'roc.yml'),
    [
      'defaults: { transport: ssh, timeout: 20s, ssh: { config_file: ssh_config } }',
      'guests:',
      `  s1: { host: 127.0.0.1, modules: [${example('remote_class.js')}], ssh: { config_host: guest-over-ssh, config_file: ssh_config } }`,
      '  bare: { host: 127.0.0.1, ssh: { config_host: guest-without-node, config_file: ssh_config } }',
      '',
    ].join('\n'),
  );
  topology = loadTopology(join(dir, 'roc.yml'));
});

after(() => {
  topology?.close();
  sshd?.stop();
});

describe('transport: ssh (zero-deploy)', { skip: why }, () => {
  test('the first call streams the agent and the modules over ssh and starts it; everything works through the connection', async () => {
    const s1 = topology.guest('s1');
    assert.equal(s1.endpoint, 'ssh:guest-over-ssh');
    const inst = await s1.module.RemoteClass!(1, 2, 3);
    assert.equal(await inst.add(2, 3), 5);
    const ping = await s1.ping();
    assert.deepEqual(
      ping.modules.map((m) => m.split('/').pop()),
      ['remote_class.js'],
    );
    const facts = await s1.lib.system.facts();
    assert.ok(facts.node.startsWith('v'));
    const chunks: string[] = [];
    for await (const c of await s1.lib.command.stream('sh', ['-c', 'echo one; echo two'])) chunks.push(c.data);
    assert.equal(chunks.join(''), 'one\ntwo\n');
    assert.ok(sshAgentPids().includes(ping.pid), `the agent (pid ${ping.pid}) is the one started over ssh`);
    const folder = folderOf(ping.modules);
    assert.match(folder, /^\/tmp\/roc-ssh-agent-\w+$/);
    assert.equal(statSync(folder).mode & 0o777, 0o700, 'a private folder');
    assert.equal(readFileSync(join(folder, 'token'), 'utf8').trim().length, 43, 'a fresh token');
  });

  test('when the host process dies, the agent exits and removes what it wrote', async () => {
    const script = join(dir, 'host.mjs');
    writeFileSync(
      script,
      `import { loadTopology } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'index.js'))};
const t = loadTopology(${JSON.stringify(join(dir, 'roc.yml'))});
const p = await t.guest('s1').ping();
console.log(JSON.stringify({ pid: p.pid, modules: p.modules }));
setInterval(() => {}, 1000);`,
    );
    const host = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { pid, modules } = await new Promise<{ pid: number; modules: string[] }>((resolve) =>
      host.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(String(d)))),
    );
    const folder = folderOf(modules);
    assert.ok(sshAgentPids().includes(pid) && existsSync(folder), `the host's agent (pid ${pid}) runs from ${folder}`);
    host.kill('SIGKILL');
    await eventually(() => !sshAgentPids().includes(pid) && !existsSync(folder), {
      timeout: 15_000,
      message: `the agent ${pid} to exit and ${folder} to be removed`,
    });
  });

  test('a guest with no node gets an error naming it and what to install', async () => {
    const err = await rejection(topology.guest('bare').ping());
    assert.ok(err instanceof SshGuestError, String(err));
    assert.match(
      err.message,
      /^guest bare \(ssh guest-without-node\): no node on the guest's PATH: install Node\.js 18 or later there \(Debian and Ubuntu: apt-get install nodejs; else nodejs\.org\), then call again$/,
    );
    assert.equal(err.guest, 'bare');
  });
});
