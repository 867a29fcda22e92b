import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { named, RocError } from '../wire/errors.js';

export class TokenFileError extends RocError {
  static {
    named(this, 'TokenFileError');
  }
  readonly file: string;
  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

/** A new random token: 32 bytes, URL-safe, so it also fits in `http://roc:TOKEN@host:port`. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Reads a token file: one line, surrounding white space ignored.
 * `warn` hears about a file others can read.
 */
export function readTokenFile(file: string, warn?: (message: string) => void): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file (make one with: roc token ' + file + ')'
        : code === 'EACCES'
          ? 'permission denied'
          : (err as Error).message;
    throw new TokenFileError(`cannot read token file ${file}: ${why}`, file, { cause: err });
  }
  const token = text.trim();
  if (!token)
    throw new TokenFileError(`token file ${file} is empty; make a new one with: roc token --force ${file}`, file);
  if (/\s/.test(token))
    throw new TokenFileError(`token file ${file} holds more than one word; it must hold the token alone`, file);
  if (warn && process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077)
      warn(`token file ${file} can be read by others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 ${file}`);
  }
  return token;
}

/** Writes a new token file with mode 0600 (its folder 0700 if made here). Refuses to overwrite unless `force`. */
export function writeTokenFile(file: string, options: { force?: boolean } = {}): string {
  if (existsSync(file) && !options.force) {
    throw new TokenFileError(
      `token file ${file} exists already; agents and hosts may use it. Pass --force to replace it`,
      file,
    );
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = newToken();
  // A new file (O_EXCL: never through a link someone left there), mode 0600 from its first byte, put in place
  // by rename: the old file's mode and a link at the path are replaced, never followed.
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${newToken().slice(0, 8)}`);
  writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return token;
}
