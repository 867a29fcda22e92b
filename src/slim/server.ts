import net from 'node:net';
import type { Readable } from 'node:stream';
import { exceptionResult, malformed } from './exceptions.js';
import { SlimExecutor, type ExecutorOptions } from './executor.js';
import { frame, FrameReader } from './framing.js';
import { deserialize, serialize } from './serializer.js';

export const SLIM_VERSION = '0.5';
export const SLIM_HEADER = `Slim -- V${SLIM_VERSION}\n`;

/**
 * One SLIM conversation: the header, then frames of instructions answered
 * in order, until `bye` (resolves true) or the input ends (false).
 */
export function converse(
  input: Readable,
  write: (bytes: Buffer | string) => void,
  options: ExecutorOptions = {},
): Promise<boolean> {
  const executor = new SlimExecutor(options);
  const reader = new FrameReader();
  write(SLIM_HEADER);
  return new Promise((resolve, reject) => {
    let queue = Promise.resolve();
    let done = false;
    const finish = (bye: boolean): void => {
      if (done) return;
      done = true;
      input.off('data', onData);
      input.off('end', onEnd);
      resolve(bye);
    };
    const handle = async (payload: string): Promise<void> => {
      if (done) return;
      if (payload.length < 16 && payload.trim().toLowerCase() === 'bye') {
        finish(true);
        return;
      }
      let answer: string;
      try {
        answer = serialize(await executor.execute(deserialize(payload)));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        answer = serialize([['', exceptionResult(malformed(`the instructions are not a SLIM list: ${why}`))]]);
      }
      if (!done) write(frame(answer));
    };
    const onData = (chunk: Buffer): void => {
      let frames: string[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        done = true;
        reject(err);
        return;
      }
      // Frames run one after another, in the order they came.
      for (const f of frames) queue = queue.then(() => handle(f));
    };
    const onEnd = (): void => {
      void queue.then(() => finish(false));
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

/**
 * Fixture output must never reach the protocol on stdout: writes to stdout
 * and stderr go to stderr, each write's first line marked SOUT.: (or
 * SERR.:) and the rest SOUT : (SERR :), as FitNesse's own server does.
 * Returns the original stdout writer for the protocol, and a restore.
 */
export function captureOutput(): { protocol: (bytes: Buffer | string) => void; restore: () => void } {
  const out = process.stdout.write.bind(process.stdout) as (b: Buffer | string) => boolean;
  const err = process.stderr.write.bind(process.stderr) as (b: Buffer | string) => boolean;
  const prefixed =
    (tag: string) =>
    (chunk: Uint8Array | string, encoding?: unknown, cb?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const lines = text.replace(/\n$/, '').split('\n');
      err(`${lines.map((l, i) => `${tag}${i === 0 ? '.:' : ' :'}${l}`).join('\n')}\n`);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    };
  process.stdout.write = prefixed('SOUT') as typeof process.stdout.write;
  process.stderr.write = prefixed('SERR') as typeof process.stderr.write;
  return {
    protocol: (bytes) => void out(bytes),
    restore: () => {
      process.stdout.write = out as typeof process.stdout.write;
      process.stderr.write = err as typeof process.stderr.write;
    },
  };
}

export interface SocketServerOptions extends ExecutorOptions {
  port: number;
  host?: string;
  /** Keep accepting connections after one ends (roc slim -d). */
  daemon?: boolean;
  onListening?: (address: net.AddressInfo) => void;
}

/** Serves SLIM on a TCP port: one conversation per connection; without daemon, stops after the first. */
export function serveSocket(options: SocketServerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      if (!options.daemon) server.close();
      converse(socket, (b) => socket.write(b), options)
        .catch(() => false)
        .finally(() => {
          socket.end();
          if (!options.daemon) resolve();
        });
    });
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () =>
      options.onListening?.(server.address() as net.AddressInfo),
    );
  });
}
