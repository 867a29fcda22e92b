#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { runDemo } from './demo.js';
import { fail } from './exit.js';

const program = new Command('roc')
  .description('ROC host tools')
  .version(VERSION)
  .showHelpAfterError('(roc --help lists the commands)');

program
  .command('demo')
  .description('start an agent serving examples/remote_class.js, drive it through the client, and shut it down')
  .action(async () => {
    try {
      await runDemo();
    } catch (err) {
      fail(`roc demo: ${(err as Error).message}`, err);
    }
  });

await program.parseAsync(process.argv);
