import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  ConnectionError,
  HttpStatusError,
  HttpTransport,
  ProtocolError,
  TransportClosedError,
} from '../../src/wire/index.js';
import { ROC_HINTS } from '../../src/protocol/index.js';
import { ProxyClosedError, serverProxy } from '../../src/client/index.js';
import { rejection } from '../helpers.js';

/** A raw TCP server that answers every request with `answer(requestNumber)`, written in pieces. */
async function rawServer(
  answer: (n: number) => (Buffer | string)[],
  opts: { close?: boolean } = {},
): Promise<{ port: number; connections: () => number; close: () => void }> {
  let count = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const head = buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
        if (buf.length < head + 4 + length) return;
        buf = buf.slice(head + 4 + length);
        const pieces = answer(++count);
        let i = 0;
        const next = (): void => {
          if (i < pieces.length) {
            s.write(pieces[i++]!);
            setImmediate(next);
          } else if (opts.close) s.end();
        };
        next();
      }
    });
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('chunked answers, split anywhere, with trailers; the connection is reused', async () => {
  const body =
    '<?xml version="1.0"?><methodResponse><params><param><value>chunked</value></param></params></methodResponse>';
  const srv = await rawServer(() => [
    'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-',
    'Encoding: chunked\r\n\r\n',
    `${(20).toString(16)}\r\n${body.slice(0, 20)}\r\n`,
    `${(body.length - 20).toString(16)};ext=1\r\n${body.slice(20)}\r\n0\r\n`,
    'X-Trailer: yes\r\n\r\n',
  ]);
  const t = new HttpTransport({ host: '127.0.0.1', port: srv.port });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await t.post('<x/>', 'm')).text, body);
    assert.equal(srv.connections(), 1);
  } finally {
    t.close();
    srv.close();
  }
});

test('HTTP/1.0 answers without a length are read until the server closes; gzip is inflated', async () => {
  const body = 'y'.repeat(5000);
  const srv = await rawServer(() => ['HTTP/1.0 200 OK\r\nContent-Encoding: gzip\r\n\r\n', gzipSync(body)], {
    close: true,
  });
  const t = new HttpTransport({ host: '127.0.0.1', port: srv.port });
  try {
    assert.equal((await t.post('<x/>', 'm')).text, body);
    assert.equal((await t.post('<x/>', 'm')).text, body, 'a new connection for the next call');
    assert.equal(srv.connections(), 2);
  } finally {
    t.close();
    srv.close();
  }
});

test('a 100 Continue before the answer is skipped; other statuses are HttpStatusError', async () => {
  const srv = await rawServer((n) =>
    n === 1
      ? ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']
      : ['HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy'],
  );
  const t = new HttpTransport({ host: '127.0.0.1', port: srv.port });
  try {
    assert.equal((await t.post('<x/>', 'm')).text, 'ok');
    const err = await rejection(t.post('<x/>', 'm'));
    assert.ok(err instanceof HttpStatusError);
    assert.equal(err.status, 503);
  } finally {
    t.close();
    srv.close();
  }
});

test('an answer that is not HTTP is a ProtocolError; a close mid-answer a ConnectionError', async () => {
  const garbage = await rawServer(() => ['SSH-2.0-OpenSSH\r\n\r\n']);
  const cut = await rawServer(() => ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part'], { close: true });
  const a = new HttpTransport({ host: '127.0.0.1', port: garbage.port, hints: ROC_HINTS });
  const b = new HttpTransport({ host: '127.0.0.1', port: cut.port, hints: ROC_HINTS });
  try {
    const e1 = await rejection(a.post('<x/>', 'm'));
    assert.ok(e1 instanceof ProtocolError, String(e1));
    assert.match(e1.message, /not an HTTP answer: "SSH-2\.0-OpenSSH"/);
    const e2 = await rejection(b.post('<x/>', 'm'));
    assert.ok(e2 instanceof ConnectionError, String(e2));
    assert.equal(e2.reason, 'closed');
    assert.equal(
      e2.message,
      `m on 127.0.0.1:${cut.port} failed: connection closed (after 49 bytes of the answer); the agent closed the connection before its answer was complete: it may have crashed or been stopped; the call may or may not have run, and it was not retried`,
    );
  } finally {
    a.close();
    b.close();
    garbage.close();
    cut.close();
  }
});

test('a close before any answer is "closed", a reset is "reset", a closed proxy sends nothing', async () => {
  const silent = await rawServer(() => [], { close: true });
  const resetting = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
  await new Promise<void>((r) => resetting.listen(0, '127.0.0.1', r));
  const resetPort = (resetting.address() as net.AddressInfo).port;
  // With ROC's hints, as ROC's client makes its transports.
  const a = new HttpTransport({ host: '127.0.0.1', port: silent.port, guest: 'web1', hints: ROC_HINTS });
  const b = new HttpTransport({ host: '127.0.0.1', port: resetPort, hints: ROC_HINTS });
  try {
    const closed = await rejection(a.post('<x/>', 'm'));
    assert.ok(closed instanceof ConnectionError, String(closed));
    assert.equal(closed.reason, 'closed');
    assert.match(
      closed.message,
      new RegExp(
        `^m on guest web1 \\(127\\.0\\.0\\.1:${silent.port}\\) failed: connection closed \\(before any byte of an answer\\); the agent closed`,
      ),
    );
    const reset = await rejection(b.post('<x/>', 'm'));
    assert.ok(reset instanceof ConnectionError, String(reset));
    assert.equal(reset.reason, 'reset');
    assert.match(reset.message, /failed: connection reset \(ECONNRESET\); the connection was reset during the call/);
    a.close();
    assert.ok((await rejection(a.post('<x/>', 'm'))) instanceof TransportClosedError);
    const proxy = serverProxy({ host: '127.0.0.1', port: silent.port, guest: 'web1' });
    proxy.close();
    const unsent = await rejection(proxy.call('m'));
    assert.ok(unsent instanceof ProxyClosedError, String(unsent));
    assert.equal(
      unsent.message,
      `m on guest web1 (127.0.0.1:${silent.port}) was not sent: this proxy was closed (close() was called on it); make a new serverProxy, or reach the guest through guest() again`,
    );
  } finally {
    a.close();
    b.close();
    silent.close();
    resetting.close();
  }
});
