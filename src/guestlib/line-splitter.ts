/** The longest line a follower, a tail or a log report keeps; the rest of a longer line is dropped and marked. */
export const MAX_LINE_BYTES = 64 * 1024;

/** What ends a line that was cut. */
export const CUT_MARK = ` [… cut: the line is longer than ${MAX_LINE_BYTES} bytes]`;

const NL = 0x0a;

/**
 * Bytes in, whole lines out, in time linear in the bytes: each byte is looked
 * at once, a line is decoded once it is whole (so a UTF-8 character split
 * across reads stays whole), and a line longer than MAX_LINE_BYTES keeps its
 * first MAX_LINE_BYTES and a mark, whatever its length.
 */
export class LineSplitter {
  #parts: Buffer[] = [];
  #length = 0;
  #cut = false;

  /** The lines this chunk completes. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) {
        this.#add(chunk.subarray(start));
        return lines;
      }
      this.#add(chunk.subarray(start, nl));
      lines.push(this.#line());
      start = nl + 1;
    }
  }

  /** The line begun and not ended (the stream ended, or the file was rotated away), if any. */
  rest(): string | undefined {
    return this.#length > 0 || this.#cut ? this.#line() : undefined;
  }

  /** Forgets the line begun (the file was truncated). */
  reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#cut = false;
  }

  #add(bytes: Buffer): void {
    if (this.#cut || bytes.length === 0) return;
    const room = MAX_LINE_BYTES - this.#length;
    if (bytes.length > room) {
      this.#parts.push(Buffer.from(bytes.subarray(0, room)));
      this.#length = MAX_LINE_BYTES;
      this.#cut = true;
    } else {
      this.#parts.push(Buffer.from(bytes));
      this.#length += bytes.length;
    }
  }

  #line(): string {
    let text = Buffer.concat(this.#parts, this.#length).toString('utf8');
    // A cut may fall inside a character: drop its half rather than show a replacement character.
    if (this.#cut) text = `${text.replace(/\uFFFD$/, '')}${CUT_MARK}`;
    this.reset();
    return text;
  }
}
