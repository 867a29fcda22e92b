import { open, type FileHandle } from 'node:fs/promises';

/** The most one read takes: a follower's slow consumer holds at most this much, as lines. */
export const CHUNK = 64 * 1024;

/** The last n lines of an open file between `floor` and `end`, read backwards a chunk at a time. */
export async function lastLines(fd: FileHandle, end: number, n: number, floor = 0): Promise<string[]> {
  let start = end;
  let text = '';
  while (start > floor) {
    const from = Math.max(floor, start - CHUNK);
    const buf = Buffer.alloc(start - from);
    await fd.read(buf, 0, buf.length, from);
    text = buf.toString('utf8') + text;
    start = from;
    if (text.split('\n').length > n + 1) break;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
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
