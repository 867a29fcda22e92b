import { Command, InvalidArgumentError } from 'commander';
import { Agent, DEFAULT_HOST, DEFAULT_PORT, type AgentOptions } from '../agent/index.js';
import { serverProxy } from '../client/index.js';
import { collect, fail, parsePort, parsePositiveInt } from './exit.js';

interface ServeFlags {
  module?: string[];
  port: number;
  host: string;
  quiet?: boolean;
  egoist?: boolean;
  remoteShutdown: boolean;
  maxBody: number;
  maxDepth: number;
  maxHandles: number;
  callTimeout: number;
}

function wrap<T>(parse: (v: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/** The options of `roc-agent serve`, also accepted with no sub-command (as `python -m roc -m mod.py -p 1234`). */
export function addServeOptions(cmd: Command): Command {
  return cmd
    .option('-m, --module <path>', 'a .js/.mjs/.cjs module, or a directory of them, whose exported classes are served (repeatable)', collect)
    .option('-p, --port <port>', `port to listen on (0 picks a free one)`, wrap(parsePort), DEFAULT_PORT)
    .option('--host <address>', 'address to listen on', DEFAULT_HOST)
    .option('-q, --quiet', 'print nothing but errors')
    .option('-e, --egoist', 'first ask an agent already on that port to shut down, and wait for the port')
    .option('--no-remote-shutdown', 'refuse shutdown() from callers')
    .option('--max-body <bytes>', 'largest request body accepted', wrap(parsePositiveInt('size')), 16 * 1024 * 1024)
    .option('--max-depth <n>', 'deepest nesting of arrays and structs accepted', wrap(parsePositiveInt('depth')), 256)
    .option('--max-handles <n>', 'most live objects held for callers', wrap(parsePositiveInt('count')), 100_000)
    .option('--call-timeout <ms>', 'deadline for one served method, 0 for none', wrap(parsePositiveInt('timeout')), 0);
}

async function shutDownCompetitor(host: string, port: number, log: (line: string) => void): Promise<void> {
  const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const proxy = serverProxy(probeHost, port, { timeout: 2_000 });
  try {
    await proxy.shutdown();
    log(`asked the agent on ${probeHost}:${port} to shut down`);
  } catch {
    proxy.close();
    return; // nobody there, or not an agent: listen() will say if the port is taken
  }
  proxy.close();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const probe = serverProxy(probeHost, port, { timeout: 500 });
    try {
      await probe.call('classes');
    } catch (err) {
      if ((err as { reason?: string }).reason === 'refused') return;
    } finally {
      probe.close();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runServe(flags: ServeFlags): Promise<void> {
  const log = flags.quiet ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  if (!flags.module || flags.module.length === 0) fail('roc-agent: no module to serve; pass -m <file or directory>, e.g. roc-agent -m examples/remote_class.js -p 7007');
  if (flags.egoist) await shutDownCompetitor(flags.host, flags.port, log);
  const options: AgentOptions = {
    modules: flags.module,
    host: flags.host,
    port: flags.port,
    noRemoteShutdown: !flags.remoteShutdown,
    maxBodyBytes: flags.maxBody,
    maxDepth: flags.maxDepth,
    maxHandles: flags.maxHandles,
    callTimeoutMs: flags.callTimeout,
    log,
  };
  let agent: Agent;
  try {
    agent = await Agent.start(options);
  } catch (err) {
    fail(`roc-agent: ${(err as Error).message}`, err);
  }
  const classes = [...agent.served.classes.keys()].sort();
  const functions = [...agent.served.functions.keys()].sort();
  log(`Available class(es): ${classes.join(', ') || '(none)'}`);
  if (functions.length) log(`Available function(s): ${functions.join(', ')}`);
  log(`Listening on ${agent.url} (boot ${agent.bootId}, pid ${process.pid})`);
  // Served code may throw from a timer or leave a rejection unobserved; that
  // is its bug, not a reason for every other caller to lose the agent.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`roc-agent: served code threw outside any call (the agent keeps running): ${err.stack ?? String(err)}\n`);
  });
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`roc-agent: a promise in served code was rejected and never handled (the agent keeps running): ${(reason as Error)?.stack ?? String(reason)}\n`);
  });
  const stop = (signal: string): void => {
    log(`${signal}: stopping`);
    void agent.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await agent.closed;
  process.exit(0);
}
