#!/usr/bin/env node
import { Command } from 'commander';
import { DEFAULT_AGENT_PORT } from '../protocol/index.js';
import { VERSION } from '../version.js';
import { collect } from './exit.js';
import { addServeOptions, runServe } from './serve.js';
import { runInstall, runStatus, runUninstall } from './service.js';

const program = new Command('roc-agent')
  .description('ROC agent: serves the classes of JavaScript modules to ROC and Python XML-RPC clients')
  .version(VERSION)
  .showHelpAfterError('(roc-agent --help lists the options)');

const serve = addServeOptions(
  program.command('serve', { isDefault: true }).description('serve modules (the default command)'),
).action(runServe);
// `roc-agent -m m.js -p 7007` is `roc-agent serve ...`: its options belong in the first help a user sees.
program.addHelpText(
  'after',
  () => `\nWith no command, roc-agent serves (roc-agent -m <module> -p <port> ...):\n\n${serve.helpInformation()}`,
);

program
  .command('install')
  .description('install this agent as the systemd service roc-agent, enabled and started (root)')
  .option('-p, --port <port>', 'port to listen on', String(DEFAULT_AGENT_PORT))
  .option('--host <address>', 'address to listen on', '0.0.0.0')
  .option('--token-file <file>', 'the token callers must present (copied to /etc/roc/token)')
  .option('-m, --module <path>', 'a module or directory to serve (copied to /opt/roc/modules; repeatable)', collect)
  .option('--user <user>', 'root (service control for the guest library) or roc (an unprivileged service user)', 'root')
  .option(
    '--faults',
    'let the nemesis make faults on this machine (CAP_NET_ADMIN, CAP_KILL, CAP_SYS_TIME; installs nftables)',
  )
  .option('--args <args>', 'more roc-agent serve options, e.g. "--call-timeout 30000"')
  .action(runInstall);

program
  .command('uninstall')
  .description('stop, disable and remove the roc-agent service')
  .option('--purge', 'also remove the token and state')
  .action(runUninstall);

program
  .command('status')
  .description('whether the roc-agent service runs, its settings and recent log')
  .action(runStatus);

// No top-level await: this file is also the entry of the single-file bundle, which is CommonJS.
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`roc-agent: ${(err as Error).message}\n`);
  process.exit(1);
});
