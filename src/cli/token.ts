import { writeTokenFile } from '../protocol/index.js';

/** `roc token [file]`: a new random token in a file only its owner can read. */
export function runToken(file: string, flags: { force?: boolean }): void {
  writeTokenFile(file, { force: flags.force });
  process.stdout.write(
    `wrote a new token to ${file} (mode 0600); give it to agents with --token-file ${file} and to hosts through the topology's token_file\n`,
  );
}
