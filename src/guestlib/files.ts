import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  appendFile,
  lstat,
  mkdir as mkdirp,
  readdir,
  readFile,
  rm,
  stat as statFile,
  writeFile,
} from 'node:fs/promises';
import { FileFollower, type FollowOptions } from './file-follower.js';
import { tailFile } from './file-tail.js';
import type { DirEntry, FileStat } from './types.js';

function needPath(path: unknown, fn: string): asserts path is string {
  if (typeof path !== 'string' || !path) throw new TypeError(`files.${fn} needs a path`);
}

export async function read(path: string): Promise<string> {
  needPath(path, 'read');
  return readFile(path, 'utf8');
}

export async function readBytes(path: string): Promise<Buffer> {
  needPath(path, 'readBytes');
  return readFile(path);
}

/** Writes (or appends) and resolves with the file's new size. */
export async function write(
  path: string,
  content: string | Buffer,
  options: { mode?: number; append?: boolean } = {},
): Promise<number> {
  needPath(path, 'write');
  if (typeof content !== 'string' && !Buffer.isBuffer(content))
    throw new TypeError('files.write takes a string or bytes');
  if (options.append) await appendFile(path, content, { mode: options.mode });
  else await writeFile(path, content, { mode: options.mode });
  return (await statFile(path)).size;
}

export async function exists(path: string): Promise<boolean> {
  needPath(path, 'exists');
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export async function stat(path: string): Promise<FileStat> {
  needPath(path, 'stat');
  const s = await lstat(path);
  return {
    path,
    size: s.size,
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    mtime: s.mtime,
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymbolicLink: s.isSymbolicLink(),
  };
}

export function sha256(path: string): Promise<string> {
  needPath(path, 'sha256');
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export async function list(path: string): Promise<DirEntry[]> {
  needPath(path, 'list');
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .map((e): DirEntry => ({
      name: e.name,
      type: e.isFile() ? 'file' : e.isDirectory() ? 'directory' : e.isSymbolicLink() ? 'symlink' : 'other',
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Removes a file or a whole directory; false when there was nothing. */
export async function remove(path: string): Promise<boolean> {
  needPath(path, 'remove');
  if (!(await exists(path))) return false;
  await rm(path, { recursive: true, force: true });
  return true;
}

export async function mkdir(path: string): Promise<null> {
  needPath(path, 'mkdir');
  await mkdirp(path, { recursive: true });
  return null;
}

/**
 * The file's lines as they are written, like tail -F (rotation, truncation,
 * a file that does not exist yet). `from: 'end'` (the default) yields every
 * line appended once follow() has resolved; `from: 'start'` the whole file
 * first; `lines: n` with `from: 'end'` the last n lines first.
 */
export async function follow(path: string, options: FollowOptions = {}): Promise<AsyncIterable<string>> {
  needPath(path, 'follow');
  if (options.from !== undefined && options.from !== 'start' && options.from !== 'end')
    throw new TypeError(`files.follow: from is 'start' or 'end', got ${JSON.stringify(options.from)}`);
  return FileFollower.open(path, options);
}

/** The file's last `lines` lines (default 20), read from its end however large it is. */
export async function tail(path: string, lines = 20): Promise<string[]> {
  needPath(path, 'tail');
  return tailFile(path, lines);
}
