/**
 * transport: ssh, against a real OpenSSH server this test starts on a
 * loopback port (root: sshd wants its privilege-separation folder), with the
 * system's ssh client, an ssh configuration of the test's own, and nothing
 * of ROC installed on the "guest" side beyond what the transport streams.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../src/client/index.js';
import { loadTopology, SshGuestError, type Topology } from '../../src/topology/index.js';
import { example, freePort, hasCommand, rejection, repoRoot } from '../helpers.js';

const why =
  process.getuid?.() !== 0
    ? 'needs root (sshd runs as root with its privilege-separation folder)'
    : !existsSync('/usr/sbin/sshd') || !hasCommand('ssh') || !hasCommand('ssh-keygen')
      ? 'needs OpenSSH (apt-get install --no-install-recommends openssh-server openssh-client)'
      : false;

const dir = mkdtempSync(join(tmpdir(), 'roc-ssh-test-'));
let sshd: ChildProcess | undefined;
let topology: Topology;
let port: number;

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
  port = await freePort();
  const keygen = (file: string): string => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
    return readFileSync(`${file}.pub`, 'utf8').trim();
  };
  keygen(join(dir, 'hostkey'));
  const key = keygen(join(dir, 'id'));
  const noNode = keygen(join(dir, 'id-nonode'));
  // The second key logs in with a PATH where no node is, as on a guest without Node.js.
  writeFileSync(join(dir, 'authorized_keys'), `${key}\nenvironment="PATH=/usr/sbin" ${noNode}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'hostkey')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitUserEnvironment yes',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      '',
    ].join('\n'),
  );
  const host = (name: string, id: string): string =>
    [
      `Host ${name}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User root',
      `  IdentityFile ${join(dir, id)}`,
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking accept-new',
      '',
    ].join('\n');
  writeFileSync(join(dir, 'ssh_config'), host('guest-over-ssh', 'id') + host('guest-without-node', 'id-nonode'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr!.on('data', (d: Buffer) => (log += d));
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const s = spawn('ssh', ['-F', join(dir, 'ssh_config'), 'guest-over-ssh', 'true'], { stdio: 'ignore' });
        s.once('exit', (code) => resolve(code === 0));
      }),
    { timeout: 10_000, message: `sshd on 127.0.0.1:${port} to let the test's key in` },
  );
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
  sshd?.kill('SIGTERM');
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
