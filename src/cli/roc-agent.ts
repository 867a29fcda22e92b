#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { addServeOptions, runServe } from './serve.js';

const program = new Command('roc-agent')
  .description('ROC agent: serves the classes of JavaScript modules to ROC and Python XML-RPC clients')
  .version(VERSION)
  .showHelpAfterError('(roc-agent --help lists the options)');

addServeOptions(program.command('serve', { isDefault: true }).description('serve modules (the default command)')).action(runServe);

await program.parseAsync(process.argv);
