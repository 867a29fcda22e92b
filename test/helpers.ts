import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Agent, type AgentOptions } from '../src/agent/index.js';

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

export interface AgentProcess {
  child: ChildProcess;
  port: number;
  /** Lines printed on stdout so far. */
  lines: string[];
  exited: Promise<number | null>;
}

/** Starts `roc-agent` as its own process and resolves once it listens. */
export async function startAgentProcess(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<AgentProcess> {
  const child = spawn(process.execPath, [agentBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /Listening on https?:\/\/[^ ]+:(\d+)\//.exec(line);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`roc-agent exited with ${code} before listening: ${stderr}`)));
  });
  return { child, port, lines, exited };
}

export { freePort } from '../src/lab/index.js';
