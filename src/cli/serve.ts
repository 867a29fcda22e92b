import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { Agent, AGENT_DEFAULTS as D, isLoopback, type AgentOptions } from '../agent/index.js';
import { ConnectionError, encodeCall, HttpTransport, retryUntil, RocError } from '../wire/index.js';
import { readTokenFile } from '../protocol/index.js';
import { LIBRARY_AREAS } from '../guestlib/index.js';
import { collect, fail, parsePort, parsePositiveInt } from './exit.js';

interface ServeFlags {
  module?: string[];
  port: number;
  host: string;
  quiet?: boolean;
  egoist?: boolean;
  remoteShutdown: boolean;
  guestLib: boolean;
  maxBody: number;
  maxDepth: number;
  maxHandles: number;
  callTimeout: number;
  maxConcurrent: number;
  headerTimeout: number;
  idleTimeout: number;
  stopGrace: number;
  leaseTtl: number;
  tokenFile?: string;
  insecure?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
}

/** The options of `roc-agent serve`, also accepted with no sub-command (as `python -m roc -m mod.py -p 1234`). */
export function addServeOptions(cmd: Command): Command {
  return cmd
    .option(
      '-m, --module <path>',
      'a .js/.mjs/.cjs module, or a directory of them, whose exported classes are served (repeatable)',
      collect,
    )
    .option('-p, --port <port>', `port to listen on (0 picks a free one)`, parsePort, D.port)
    .option('--host <address>', 'address to listen on', D.host)
    .option('-q, --quiet', 'print nothing but errors')
    .option('-e, --egoist', 'first ask an agent already on that port to shut down, and wait for the port')
    .option('--no-remote-shutdown', 'refuse shutdown() from callers')
    .option('--no-guest-lib', 'do not serve the built-in guest library (roc.command, roc.files, ...)')
    .option('--max-body <bytes>', 'largest request body accepted', parsePositiveInt('size'), D.maxBodyBytes)
    .option('--max-depth <n>', 'deepest nesting of arrays and structs accepted', parsePositiveInt('depth'), D.maxDepth)
    .option('--max-handles <n>', 'most live objects held for callers', parsePositiveInt('count'), D.maxHandles)
    .option(
      '--call-timeout <ms>',
      'deadline for one served method, 0 for none',
      parsePositiveInt('timeout'),
      D.callTimeoutMs,
    )
    .option(
      '--max-concurrent <n>',
      'calls running at once before new ones are refused',
      parsePositiveInt('count'),
      D.maxConcurrent,
    )
    .option(
      '--header-timeout <ms>',
      'time allowed to receive request headers',
      parsePositiveInt('timeout'),
      D.headerTimeoutMs,
    )
    .option(
      '--idle-timeout <ms>',
      'idle kept-alive connections are closed after this',
      parsePositiveInt('timeout'),
      D.idleTimeoutMs,
    )
    .option(
      '--stop-grace <ms>',
      'on SIGTERM/SIGINT, time calls under way get to finish',
      parsePositiveInt('timeout'),
      D.stopGraceMs,
    )
    .option(
      '--lease-ttl <ms>',
      "a client's objects are freed after this long without a call from it (0: never)",
      parsePositiveInt('timeout'),
      D.leaseTtlMs,
    )
    .option('--token-file <file>', 'callers must present the token in this file (default: the ROC_TOKEN variable)')
    .option('--insecure', 'allow listening off loopback without a token')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--tls-client-ca <file>', 'require client certificates signed by this CA (PEM)');
}

/**
 * --egoist: asks an agent already on the port to shut down, then waits until
 * nothing answers there. Plain XML-RPC over the wire layer: the agent's
 * bundle carries no host client.
 */
async function shutDownCompetitor(
  host: string,
  port: number,
  log: (line: string) => void,
  token: string | undefined,
): Promise<void> {
  const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const call = async (method: string, timeout: number): Promise<void> => {
    const transport = new HttpTransport({ host: probeHost, port, timeout, token });
    try {
      await transport.post(encodeCall(method, []), method);
    } finally {
      transport.close();
    }
  };
  try {
    await call('shutdown', 2_000);
    log(`asked the agent on ${probeHost}:${port} to shut down`);
  } catch {
    return; // nobody there, or not an agent: listen() will say if the port is taken
  }
  await retryUntil(
    10_000,
    50,
    () =>
      call('classes', 500).then(
        () => false,
        (err: unknown) => err instanceof ConnectionError && err.reason === 'refused',
      ),
    () => new RocError(`the agent on ${probeHost}:${port} is still there 10 s after shutdown()`),
  ).catch(() => undefined);
}

export async function runServe(flags: ServeFlags): Promise<void> {
  const log = flags.quiet ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  if ((!flags.module || flags.module.length === 0) && !flags.guestLib)
    fail(
      'roc-agent: nothing to serve: no module (-m) and the guest library is off; pass -m <file or directory>, e.g. roc-agent -m examples/remote_class.js -p 7007',
    );
  const warn = (line: string): void => {
    process.stderr.write(`roc-agent: warning: ${line}\n`);
  };
  let token: string | undefined;
  try {
    token = flags.tokenFile ? readTokenFile(flags.tokenFile, warn) : process.env.ROC_TOKEN?.trim() || undefined;
    // Read once: nothing the agent runs (the system under test among them) gets it from the environment.
    delete process.env.ROC_TOKEN;
  } catch (err) {
    fail(`roc-agent: ${(err as Error).message}`, err);
  }
  let tls: AgentOptions['tls'];
  if (flags.tlsCert || flags.tlsKey) {
    if (!flags.tlsCert || !flags.tlsKey) fail('roc-agent: --tls-cert and --tls-key go together');
    const read = (file: string, what: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        fail(`roc-agent: cannot read ${what} ${file}: ${(err as Error).message}`, err);
      }
    };
    tls = {
      cert: read(flags.tlsCert, 'the TLS certificate'),
      key: read(flags.tlsKey, 'the TLS key'),
      ...(flags.tlsClientCa ? { clientCa: read(flags.tlsClientCa, 'the client CA') } : {}),
    };
  }
  if (!token && flags.insecure && !isLoopback(flags.host) && process.getuid?.() === 0)
    fail(
      `roc-agent: refusing --insecure as root on ${flags.host}: anyone who could reach it would run code on this machine as root. Give --token-file <file> (make one with: roc token) or ROC_TOKEN`,
    );
  if (!token && flags.insecure && !isLoopback(flags.host)) {
    warn(
      `listening on ${flags.host} with no token (--insecure): anyone who can reach this port can run code on this machine as ${process.env.USER ?? 'this user'}`,
    );
  }
  if (flags.egoist) await shutDownCompetitor(flags.host, flags.port, log, token);
  const options: AgentOptions = {
    modules: flags.module ?? [],
    guestLibrary: flags.guestLib,
    host: flags.host,
    port: flags.port,
    noRemoteShutdown: !flags.remoteShutdown,
    maxBodyBytes: flags.maxBody,
    maxDepth: flags.maxDepth,
    maxHandles: flags.maxHandles,
    callTimeoutMs: flags.callTimeout,
    maxConcurrent: flags.maxConcurrent,
    headerTimeoutMs: flags.headerTimeout,
    idleTimeoutMs: flags.idleTimeout,
    leaseTtlMs: flags.leaseTtl,
    token,
    insecure: flags.insecure,
    tls,
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
  if (flags.guestLib) log(`Guest library: ${LIBRARY_AREAS.map((a) => `roc.${a}`).join(', ')}`);
  log(`Listening on ${agent.url} (boot ${agent.bootId}, pid ${process.pid}${token ? ', token required' : ''})`);
  // An agent whose output nobody reads any more (its parent died with the pipe) keeps serving: a write
  // that fails is dropped, never raised again from the handler below (which would spin on it).
  const deaf = (): void => {};
  process.stdout.on('error', deaf);
  process.stderr.on('error', deaf);
  // Served code may throw from a timer or leave a rejection unobserved; that
  // is its bug, not a reason for every other caller to lose the agent.
  process.on('uncaughtException', (err) => {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    process.stderr.write(
      `roc-agent: served code threw outside any call (the agent keeps running): ${err.stack ?? String(err)}\n`,
    );
  });
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(
      `roc-agent: a promise in served code was rejected and never handled (the agent keeps running): ${(reason as Error)?.stack ?? String(reason)}\n`,
    );
  });
  const stop = (signal: string): void => {
    log(`${signal}: stopping`);
    void agent.close(flags.stopGrace).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await agent.closed;
  process.exit(0);
}
