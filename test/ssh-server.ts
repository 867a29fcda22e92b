/**
 * A real OpenSSH server on a loopback port, for the ssh transport's test and
 * bench (root: sshd wants its privilege-separation folder), with client
 * keys and an ssh configuration of its own: `ssh -F config <host>` logs in.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../src/client/index.js';
import { freePort } from '../src/lab/index.js';

export interface LoopbackSshd {
  port: number;
  /** The client configuration: Host entries for each name asked for. */
  config: string;
  stop(): void;
}

/** Why an sshd cannot run here, or false. */
export const sshdMissing = (): string | false =>
  process.getuid?.() !== 0
    ? 'needs root (sshd runs as root with its privilege-separation folder)'
    : !existsSync('/usr/sbin/sshd')
      ? 'needs OpenSSH (apt-get install --no-install-recommends openssh-server openssh-client)'
      : false;

/**
 * Starts sshd in `dir`; `hosts` are the client's Host names, each logging
 * in as root with a key of its own; a host whose value is a PATH logs in
 * with that PATH (environment= in authorized_keys), as a guest without some
 * program would.
 */
export async function startLoopbackSshd(dir: string, hosts: Record<string, string | undefined>): Promise<LoopbackSshd> {
  const port = await freePort();
  const keygen = (file: string): string => {
    if (!existsSync(file)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
    return readFileSync(`${file}.pub`, 'utf8').trim();
  };
  keygen(join(dir, 'hostkey'));
  const lines: string[] = [];
  const config: string[] = [];
  for (const [host, path] of Object.entries(hosts)) {
    const key = keygen(join(dir, `id-${host}`));
    lines.push(path ? `environment="PATH=${path}" ${key}` : key);
    config.push(
      `Host ${host}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User root',
      `  IdentityFile ${join(dir, `id-${host}`)}`,
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking accept-new',
      '',
    );
  }
  writeFileSync(join(dir, 'authorized_keys'), `${lines.join('\n')}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'ssh_config'), config.join('\n'));
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
      'MaxStartups 100:30:200',
      'MaxSessions 100',
      `PidFile ${join(dir, 'sshd.pid')}`,
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const first = Object.keys(hosts)[0]!;
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const s = spawn('ssh', ['-F', join(dir, 'ssh_config'), first, 'true'], { stdio: 'ignore' });
        s.once('exit', (code) => resolve(code === 0));
      }),
    { timeout: 10_000, message: `sshd on 127.0.0.1:${port} to let the test's key in` },
  );
  return { port, config: join(dir, 'ssh_config'), stop: () => void sshd.kill('SIGTERM') };
}
