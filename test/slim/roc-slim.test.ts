import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { deserialize, frame, FrameReader, serialize, SLIM_HEADER } from '../../src/slim/index.js';
import { freePort, repoRoot } from '../helpers.js';

const roc = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');
const fixtures = join(repoRoot, 'test', 'fitnesse', 'fixtures');
const batch = serialize([
  ['i', 'import', fixtures],
  ['m', 'make', 't', 'TestSlim'],
  ['p', 'call', 't', 'printString', 'printed by a fixture'],
  ['e', 'call', 't', 'echoString', 'Köln 🀜'],
]);

describe('roc slim', () => {
  test('port 1 (the default): the protocol on stdout, fixture output on stderr with SOUT prefixes', async () => {
    const child = spawn(process.execPath, [roc, 'slim'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.write(frame(batch));
    child.stdin.write(frame('bye'));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0);
    const stdout = Buffer.concat(out);
    assert.equal(stdout.subarray(0, SLIM_HEADER.length).toString(), 'Slim -- V0.5\n');
    const frames = new FrameReader().push(stdout.subarray(SLIM_HEADER.length));
    assert.equal(frames.length, 1, 'nothing but frames on stdout');
    assert.deepEqual(deserialize(frames[0]!), [
      ['i', 'OK'],
      ['m', 'OK'],
      ['p', '/__VOID__/'],
      ['e', 'Köln 🀜'],
    ]);
    assert.equal(err, 'SOUT.:printed by a fixture\n');
  });

  test('a socket port: one conversation, then exit; stdin closing does not stop it', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [roc, 'slim', port.toString()], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(); // FitNesse closes stdin in socket mode
    const answer = await talk(port, [batch, 'bye']);
    assert.equal(answer.header, 'Slim -- V0.5\n');
    assert.deepEqual(deserialize(answer.frames[0]!)[3], ['e', 'Köln 🀜']);
    assert.equal(await new Promise((r) => child.once('exit', r)), 0);
  });

  test('-d keeps accepting connections after bye', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [roc, 'slim', '-d', port.toString()], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await talk(port, [serialize([['x', 'assign', 'a', String(i)]]), 'bye']);
        assert.deepEqual(deserialize(answer.frames[0]!), [['x', 'OK']]);
      }
      assert.equal(child.exitCode, null);
    } finally {
      child.kill();
    }
  });

  test('-s: a statement past its deadline answers TIMED_OUT', async () => {
    const child = spawn(process.execPath, [roc, 'slim', '-s', '0.2'], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stdin.write(
      frame(
        serialize([
          ['i', 'import', join(repoRoot, 'test', 'slim', 'fixtures')],
          ['m', 'make', 'c', 'Calculator'],
          ['s', 'call', 'c', 'later', '5000', 'x'],
        ]),
      ),
    );
    child.stdin.write(frame('bye'));
    await new Promise((r) => child.once('exit', r));
    const frames = new FrameReader().push(Buffer.concat(out).subarray(SLIM_HEADER.length));
    assert.deepEqual(deserialize(frames[0]!)[2], ['s', '__EXCEPTION__:message:<<TIMED_OUT 0.2>>']);
  });
});

/** Connects (retrying until the server listens), sends each payload as a frame, and collects the answers. */
async function talk(port: number, payloads: string[]): Promise<{ header: string; frames: string[] }> {
  const deadline = Date.now() + 10_000;
  let socket: net.Socket | undefined;
  while (!socket) {
    socket = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (!socket) {
      if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  for (const p of payloads) socket.write(frame(p));
  await new Promise((r) => socket!.once('close', r));
  const all = Buffer.concat(chunks);
  const header = all.subarray(0, SLIM_HEADER.length).toString();
  return { header, frames: new FrameReader().push(all.subarray(SLIM_HEADER.length)) };
}
