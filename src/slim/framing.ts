import { named, RocError } from '../wire/errors.js';
/**
 * SLIM frames on a byte stream: `%06d:` then that many bytes of UTF-8
 * (more digits when the payload needs them). Bytes are buffered raw and
 * only complete frames are decoded, so a multi-byte character split
 * across reads is never corrupted.
 */
/** The largest frame a SLIM server takes (FitNesse's largest tables are a few MiB); a longer one is refused when its length is read. */
export const MAX_FRAME_BYTES = 128 * 1024 * 1024;

export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Where the frame being read ends (header included), once its header is read: bytes are joined only then. */
  private end: number | undefined;
  private readonly maxBytes: number;

  constructor(maxBytes = MAX_FRAME_BYTES) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Buffer): string[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: string[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === undefined) break;
      frames.push(frame);
    }
    return frames;
  }

  /** Bytes received that do not make a whole frame yet. */
  get pending(): number {
    return this.size;
  }

  private next(): string | undefined {
    if (this.size < 7) return undefined;
    // A frame still arriving costs nothing per read: its bytes are joined once, when all are here.
    if (this.end !== undefined && this.size < this.end) return undefined;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [buf];
    let colon = -1;
    for (let i = 0; i < Math.min(buf.length, 21); i++) {
      const c = buf[i]!;
      if (c === 0x3a) {
        colon = i;
        break;
      }
      if (c < 0x30 || c > 0x39)
        throw new FrameError(
          `frame length must be digits, got ${JSON.stringify(buf.subarray(0, Math.min(buf.length, 20)).toString('latin1'))}`,
        );
    }
    if (colon < 0) {
      if (buf.length > 21) throw new FrameError('frame length has more than 20 digits');
      return undefined;
    }
    if (colon < 6)
      throw new FrameError(
        `frame length must have at least six digits, got ${JSON.stringify(buf.subarray(0, colon).toString('latin1'))}`,
      );
    const length = Number(buf.subarray(0, colon).toString('latin1'));
    if (length > this.maxBytes)
      throw new FrameError(
        `a frame of ${length} bytes is larger than this SLIM server takes (${this.maxBytes} bytes); split the table, or send less in one instruction`,
      );
    const end = colon + 1 + length;
    if (buf.length < end) {
      this.end = end;
      return undefined;
    }
    this.end = undefined;
    const payload = buf.subarray(colon + 1, end).toString('utf8');
    const rest = buf.subarray(end);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    return payload;
  }
}

export class FrameError extends RocError {
  static {
    named(this, 'FrameError');
  }
}

/** A frame's bytes, made in one buffer. */
export function frame(payload: string): Buffer {
  const bytes = Buffer.byteLength(payload, 'utf8');
  const header = `${bytes < 1_000_000 ? String(bytes).padStart(6, '0') : String(bytes)}:`;
  const out = Buffer.allocUnsafe(header.length + bytes);
  out.write(header, 0, 'latin1');
  out.write(payload, header.length, 'utf8');
  return out;
}
