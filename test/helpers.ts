import { after } from 'node:test';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Agent, type AgentOptions } from '../src/agent/index.js';
import { launchAgent, type LaunchedAgent } from '../src/lab/index.js';
import { eventually, serverProxy } from '../src/client/index.js';

/** The repository root (tests run from dist/test). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const fixture = (name: string): string => join(repoRoot, 'test', 'fixtures', name);
export const example = (name: string): string => join(repoRoot, 'examples', name);

/** An agent on a free loopback port, closed after the test. */
export async function withAgent<T>(options: Partial<AgentOptions>, body: (agent: Agent) => Promise<T>): Promise<T> {
  const agent = await Agent.start({ modules: [example('remote_class.js')], port: 0, ...options });
  try {
    return await body(agent);
  } finally {
    await agent.close(100);
  }
}

/** Asserts that `promise` rejects, and returns the error for closer checks. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, any>;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

export const agentBin = join(repoRoot, 'dist', 'src', 'cli', 'roc-agent.js');

export type AgentProcess = LaunchedAgent;

/** Starts `roc-agent` (the CLI as built) as its own process and resolves once it listens. */
export async function startAgentProcess(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<AgentProcess> {
  const launched = await launchAgent(args, { program: agentBin, env });
  started.add(launched.child);
  void launched.exited.finally(() => started.delete(launched.child));
  return launched;
}

// A test that fails before it stops its agent must not leave the file's
// process waiting on that child until the runner's timeout.
const started = new Set<ChildProcess>();
after(() => {
  for (const child of started) child.kill('SIGKILL');
});

export { freePort } from '../src/lab/index.js';

/**
 * Resolves once the agent on port runs `calls` calls besides the ping that
 * asks: a test that signals or stops an agent mid-call waits for this, not
 * for a fixed time.
 */
export async function callsUnderWay(port: number, calls = 1, timeout = 10_000): Promise<void> {
  const probe = serverProxy('127.0.0.1', port, { timeout });
  try {
    await eventually(async () => (await probe.ping()).calls >= calls, {
      timeout,
      message: `the agent on 127.0.0.1:${port} to be running ${calls} call(s)`,
    });
  } finally {
    probe.close();
  }
}

export const hasCommand = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * Why a tier that needs root and some commands cannot run here (printed as a
 * skip), or false when it can.
 */
export function rootTierSkip(tier: string, rootFor: string, commands: readonly string[]): string | false {
  const missing = commands.filter((c) => !hasCommand(c));
  const why =
    process.getuid?.() !== 0
      ? `needs root (${rootFor})`
      : missing.length
        ? `needs ${missing.join(', ')} (.ci/run installs them)`
        : false;
  if (why) console.log(`# SKIP ${tier}: ${why}`);
  return why;
}

/**
 * roc-toolkit as a project installs it: `npm pack` of this checkout, unpacked
 * into node_modules/roc-toolkit of a new project folder, with its
 * dependencies as npm would install them (not its development ones, such as
 * fitnesse). Answers the project folder and its `roc` CLI.
 */
export function installPackedPackage(): { app: string; pkg: string; roc: string } {
  const dir = mkdtempSync(join(tmpdir(), 'roc-installed-'));
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!;
  const app = join(dir, 'app');
  const pkg = join(app, 'node_modules', 'roc-toolkit');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, packed), '-C', pkg, '--strip-components=1']);
  for (const d of readdirSync(join(repoRoot, 'node_modules')))
    if (d !== 'roc-toolkit' && d !== 'fitnesse' && !d.startsWith('.'))
      symlinkSync(join(repoRoot, 'node_modules', d), join(app, 'node_modules', d));
  return { app, pkg, roc: join(pkg, 'dist', 'src', 'cli', 'roc.js') };
}
