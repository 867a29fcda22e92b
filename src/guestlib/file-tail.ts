import { open, type FileHandle } from 'node:fs/promises';
import { LineSplitter, MAX_LINE_BYTES } from './line-splitter.js';

/** The most one read takes: a follower's slow consumer holds at most this much, as lines. */
export const CHUNK = 64 * 1024;

/**
 * The last n lines of an open file between `floor` and `end`, read backwards a
 * chunk at a time: never further back than n lines of the longest kept length
 * can reach, each byte read once, so a file with no newline costs no more than
 * n long lines.
 */
export async function lastLines(fd: FileHandle, end: number, n: number, floor = 0): Promise<string[]> {
  const limit = Math.max(floor, end - n * (MAX_LINE_BYTES + 1) - 1);
  const parts: Buffer[] = [];
  let start = end;
  let newlines = 0;
  while (start > limit) {
    const from = Math.max(limit, start - CHUNK);
    const buf = Buffer.alloc(start - from);
    await fd.read(buf, 0, buf.length, from);
    parts.unshift(buf);
    start = from;
    for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) newlines++;
    // n lines need n + 1 newlines before them (one of them may end the file).
    if (newlines > n + 1) break;
  }
  const splitter = new LineSplitter();
  const lines = splitter.push(Buffer.concat(parts));
  const rest = splitter.rest();
  if (rest !== undefined) lines.push(rest);
  // Stopped inside a line longer than any kept: its start is not here.
  if (start > floor && lines.length > 0 && lines.length <= n && start === limit)
    lines[0] = `[… cut: the line began more than ${MAX_LINE_BYTES} bytes earlier] ${lines[0]}`;
  return lines.slice(-n);
}

/** The last lines of the part of a file past byte `floor` (what a process wrote since it started). */
export async function tailFile(path: string, lines: number, floor = 0): Promise<string[]> {
  if (!Number.isInteger(lines) || lines < 1) throw new TypeError('files.tail takes a positive whole number of lines');
  const fd = await open(path, 'r');
  try {
    const size = (await fd.stat()).size;
    // A file that shrank below the floor was truncated: all of it is new.
    return await lastLines(fd, size, lines, size < floor ? 0 : floor);
  } finally {
    await fd.close();
  }
}
