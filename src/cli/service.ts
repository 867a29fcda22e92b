import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail } from './exit.js';

// Loaded on first use: the agent's `serve` path never needs execa, and loading it at start-up costs the idle agent memory.
const loadExeca = () => import('execa');

// The bundle carries provisioning/ as text (scripts/bundle-agent.mjs defines this); from a checkout it is read from disk.
declare const __ROC_PROVISIONING__: Record<string, string> | undefined;
export const PROVISIONING_FILES = [
  'install-agent.sh',
  'roc-agent.service',
  'roc-agent-user.conf',
  'roc-agent-faults.conf',
];

const here = fileURLToPath(import.meta.url);
const bundled = typeof __ROC_PROVISIONING__ !== 'undefined';

function provisioningFile(name: string): string {
  if (bundled) return __ROC_PROVISIONING__![name]!;
  return readFileSync(join(dirname(here), '..', '..', '..', 'provisioning', name), 'utf8');
}

/** The single-file agent to install: this file when running as the bundle, else the checkout's build. */
function agentBundle(): string {
  if (bundled) return here;
  const built = join(dirname(here), '..', '..', 'agent', 'roc-agent.js');
  if (!existsSync(built)) fail(`roc-agent install: no bundle at ${built}; run npm run build first`);
  return built;
}

/** Runs install-agent.sh with the unit files beside it in a temporary folder. */
async function runInstaller(args: string[]): Promise<void> {
  if (process.getuid?.() !== 0) fail('roc-agent: installing a systemd service needs root; run it with sudo');
  const dir = mkdtempSync(join(tmpdir(), 'roc-agent-install-'));
  try {
    for (const name of PROVISIONING_FILES) writeFileSync(join(dir, name), provisioningFile(name), { mode: 0o755 });
    const { execa } = await loadExeca();
    const r = await execa('sh', [join(dir, 'install-agent.sh'), '--unit-dir', dir, ...args], {
      stdio: 'inherit',
      reject: false,
    });
    if (r.exitCode !== 0) process.exit(r.exitCode ?? 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface InstallFlags {
  port: string;
  host: string;
  tokenFile?: string;
  module?: string[];
  user: string;
  /** Let the nemesis make faults here (install-agent.sh --faults). */
  faults?: boolean;
  args?: string;
}

export async function runInstall(flags: InstallFlags): Promise<void> {
  const args = ['--bundle', agentBundle(), '--port', flags.port, '--host', flags.host, '--user', flags.user];
  if (flags.tokenFile) args.push('--token-file', resolve(flags.tokenFile));
  for (const m of flags.module ?? []) args.push('--module', resolve(m));
  if (flags.faults) args.push('--faults');
  if (flags.args) args.push('--args', flags.args);
  await runInstaller(args);
}

export async function runUninstall(flags: { purge?: boolean }): Promise<void> {
  await runInstaller(['--uninstall', ...(flags.purge ? ['--purge'] : [])]);
}

/** `systemctl status` of the service, and an exit code of 0 only when it is active. */
export async function runStatus(): Promise<void> {
  const { execa } = await loadExeca();
  const active = await execa('systemctl', ['is-active', 'roc-agent.service'], { reject: false });
  const enabled = await execa('systemctl', ['is-enabled', 'roc-agent.service'], { reject: false });
  if (active.exitCode === undefined) fail(`roc-agent status: cannot run systemctl: ${active.shortMessage}`);
  process.stdout.write(
    `roc-agent.service: ${String(active.stdout).trim() || 'unknown'}, ${String(enabled.stdout).trim() || 'not installed'}\n`,
  );
  const env = '/etc/roc/agent.env';
  if (existsSync(env))
    process.stdout.write(
      `settings (${env}): ${
        readFileSync(env, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('ROC_AGENT_ARGS=')) ?? '(none)'
      }\n`,
    );
  const status = await execa('systemctl', ['status', 'roc-agent.service', '--no-pager', '--lines', '10'], {
    reject: false,
  });
  process.stdout.write(`${String(status.stdout)}\n`);
  process.exitCode = active.exitCode === 0 ? 0 : 3;
}
