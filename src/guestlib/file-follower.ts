import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { CHUNK, lastLines } from './file-tail.js';
import { LineSplitter } from './line-splitter.js';

/** Rotation on file systems whose changes inotify does not report (synced folders) is seen by polling this often. */
const POLL_MS = 250;

export interface FollowOptions {
  /** `end` (default): lines appended after follow() resolved; `start`: the whole file first. */
  from?: 'start' | 'end';
  /** With `from: 'end'`, start with this many of the last lines already there. */
  lines?: number;
}

/**
 * A file's lines as they are written, like `tail -F`: it waits for a file
 * that does not exist yet, reads a rotated file to its end before the new
 * one, starts over when the file shrinks (truncation, seen as tail -F sees
 * it), and reads only as fast as its consumer pulls.
 */
export class FileFollower implements AsyncIterable<string>, AsyncIterator<string> {
  readonly path: string;
  #fd: FileHandle | undefined;
  #ino = 0;
  #pos = 0;
  #lines = new LineSplitter();
  #queue: string[] = [];
  #closed = false;
  #watcher: FSWatcher | undefined;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens the file (if it exists) and fixes where reading starts, before the caller gets the iterator. */
  static async open(path: string, options: FollowOptions = {}): Promise<FileFollower> {
    const f = new FileFollower(path);
    try {
      f.#fd = await open(path, 'r');
      const s = await f.#fd.stat();
      f.#ino = s.ino;
      f.#pos = options.from === 'start' ? 0 : s.size;
      if (options.from !== 'start' && options.lines) f.#queue = await lastLines(f.#fd, s.size, options.lines);
    } catch (err) {
      // A follow that fails leaves nothing open behind it.
      await f.#fd?.close().catch(() => undefined);
      f.#fd = undefined;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Not there yet: every line of the file, once it appears, is new.
    }
    try {
      f.#watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(path)) f.#poke();
      });
      f.#watcher.on('error', () => undefined);
    } catch {
      // No folder to watch (yet): polling finds the file.
    }
    return f;
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this;
  }

  async next(): Promise<IteratorResult<string>> {
    while (!this.#closed) {
      if (this.#queue.length) return { value: this.#queue.shift()!, done: false };
      let read: boolean;
      try {
        read = await this.#read();
      } catch (err) {
        // A follow that ends in an error (a folder, a file gone unreadable) closes its file and watcher.
        await this.return();
        throw err;
      }
      if (read) continue;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, POLL_MS);
      });
      clearTimeout(this.#timer);
      this.#wake = undefined;
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<string>> {
    this.#closed = true;
    this.#watcher?.close();
    this.#poke();
    await this.#fd?.close().catch(() => undefined);
    this.#fd = undefined;
    return { value: undefined, done: true };
  }

  #poke(): void {
    this.#wake?.();
  }

  /** Reads what there is (at most a chunk); true when it queued lines. */
  async #read(): Promise<boolean> {
    let current: { ino: number; size: number } | undefined;
    try {
      current = await stat(this.path);
    } catch {
      current = undefined; // moved away or deleted: read the rest of the old file, then wait
    }
    if (!this.#fd) {
      if (!current) return false;
      try {
        this.#fd = await open(this.path, 'r');
      } catch {
        return false;
      }
      this.#ino = (await this.#fd.stat()).ino;
      this.#pos = 0;
    }
    const size = (await this.#fd.stat()).size;
    if (size < this.#pos) {
      // Truncated in place: start over from its beginning.
      this.#pos = 0;
      this.#lines.reset();
    }
    if (size > this.#pos) return this.#take(size);
    if (current && current.ino !== this.#ino) {
      // Rotated, and the old file is read to its end: go on with the new one.
      await this.#fd.close().catch(() => undefined);
      this.#fd = undefined;
      const rest = this.#lines.rest();
      if (rest !== undefined) this.#queue.push(rest);
      return this.#queue.length > 0 || (await this.#read());
    }
    return false;
  }

  async #take(size: number): Promise<boolean> {
    const length = Math.min(CHUNK, size - this.#pos);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.#fd!.read(buf, 0, length, this.#pos);
    this.#pos += bytesRead;
    const lines = this.#lines.push(buf.subarray(0, bytesRead));
    this.#queue.push(...lines);
    return lines.length > 0 || bytesRead > 0;
  }
}
