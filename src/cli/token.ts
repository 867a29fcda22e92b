import { existsSync } from 'node:fs';
import { readTokenFile, writeTokenFile } from '../protocol/index.js';

/**
 * `roc token [file]`: a new random token in a file only its owner can read.
 * A token file that is there already is kept (agents and hosts may use it)
 * and the command succeeds, so that set-up scripts can run it every time;
 * --force replaces it. A file that is not a usable token still fails.
 */
export function runToken(file: string, flags: { force?: boolean }): void {
  if (existsSync(file) && !flags.force) {
    readTokenFile(file, (warning) => process.stderr.write(`roc token: ${warning}\n`));
    process.stdout.write(`kept the token in ${file}, there already (--force writes a new one)\n`);
    return;
  }
  writeTokenFile(file, { force: flags.force });
  process.stdout.write(
    `wrote a new token to ${file} (mode 0600); give it to agents with --token-file ${file} and to hosts through the topology's token_file\n`,
  );
}
