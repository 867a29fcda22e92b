import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { gzipSync, gunzipSync } from 'node:zlib';
import { Agent } from '../../src/agent/index.js';
import { decodeResponse, encodeCall, XmlRpcFault } from '../../src/wire/index.js';
import { FaultCode } from '../../src/protocol/index.js';
import { serverProxy } from '../../src/index.js';
import { example } from '../helpers.js';

let agent: Agent;

before(async () => {
  agent = await Agent.start({
    modules: [example('remote_class.js')],
    port: 0,
    maxBodyBytes: 8 * 1024 * 1024,
    gzipThreshold: 1400,
  });
});
after(() => agent.close(100));

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(options: {
  method?: string;
  path?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: agent.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function faultOf(body: string | Buffer, headers?: Record<string, string>): Promise<XmlRpcFault> {
  const reply = await request({ body, headers });
  assert.equal(reply.status, 200, 'XML-RPC answers bad calls with HTTP 200 and a fault');
  try {
    decodeResponse(reply.body.toString());
  } catch (err) {
    if (err instanceof XmlRpcFault) return err;
    throw err;
  }
  throw new Error('expected a fault');
}

/** After every bad request the agent must still answer a normal call. */
async function stillHealthy(): Promise<void> {
  const proxy = serverProxy('127.0.0.1', agent.port);
  assert.deepEqual(await proxy.classes(), ['Point', 'RemoteClass']);
  proxy.close();
}

describe('HTTP', () => {
  test('GET and other methods get 405 with Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS']) {
      const reply = await request({ method });
      assert.equal(reply.status, 405, method);
      assert.equal(reply.headers.allow, 'POST');
      assert.equal(reply.body.toString(), `XML-RPC takes POST, not ${method}\n`);
    }
    await stillHealthy();
  });

  test('unknown paths get 404; / and /RPC2 serve', async () => {
    const reply = await request({ path: '/other', body: encodeCall('classes', []) });
    assert.equal(reply.status, 404);
    assert.equal(reply.body.toString(), 'no XML-RPC endpoint at /other; use / or /RPC2\n');
    for (const path of ['/', '/RPC2']) {
      const ok = await request({ path, body: encodeCall('classes', []) });
      assert.deepEqual(decodeResponse(ok.body.toString()), ['Point', 'RemoteClass']);
    }
  });

  test('a body over the limit gets 413 before the rest is sent', async () => {
    // Declare 50 MB, send none of it: the answer must come anyway.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(agent.port, '127.0.0.1', () => {
        socket.write(
          `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n<?xml`,
        );
      });
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
    assert.match(reply, /request body larger than 8388608 bytes; the agent's limit is set with --max-body/);
    await stillHealthy();
  });

  test('a chunked body that grows past the limit gets 413 too', async () => {
    const reply = await new Promise<Reply | Error>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: agent.port,
          method: 'POST',
          agent: false,
          headers: { 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', (err) => resolve(err));
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = (): void => {
        while (sent < 12 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    if (reply instanceof Error) assert.match(reply.message, /EPIPE|ECONNRESET|socket hang up/);
    else assert.equal(reply.status, 413);
    await stillHealthy();
  });

  test('gzip request bodies are inflated, within the body limit', async () => {
    const ok = await request({ body: gzipSync(encodeCall('classes', [])), headers: { 'Content-Encoding': 'gzip' } });
    assert.deepEqual(decodeResponse(ok.body.toString()), ['Point', 'RemoteClass']);
    // 100 MB of zeros in a few hundred kB: a zip bomb must not be inflated past the limit.
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024));
    const fault = await faultOf(bomb, { 'Content-Encoding': 'gzip' });
    assert.equal(fault.faultCode, FaultCode.PARSE_ERROR);
    assert.match(fault.faultString, /gzip body could not be inflated within 8388608 bytes/);
    const unsupported = await faultOf('x', { 'Content-Encoding': 'br' });
    assert.equal(unsupported.faultCode, FaultCode.UNSUPPORTED_ENCODING);
    await stillHealthy();
  });

  test('answers over the threshold are gzipped for clients that accept it', async () => {
    const big = 'x'.repeat(5000);
    const body = encodeCall('version', []);
    const small = await request({ body, headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(small.headers['content-encoding'], undefined);
    const proxy = serverProxy('127.0.0.1', agent.port);
    const handle = await proxy.create('RemoteClass', [1, 2, 3]);
    const reply = await request({ body: encodeCall(`${handle}.echo`, [big]), headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(decodeResponse(gunzipSync(reply.body).toString()), big);
    assert.equal(await proxy.call(`${handle}.echo`, big), big, 'the client inflates gzip answers');
    proxy.close();
  });

  test('keep-alive: many calls share one connection', async () => {
    const proxy = serverProxy('127.0.0.1', agent.port);
    let connections = 0;
    const count = (): void => {
      connections++;
    };
    agent['server'].on('connection', count);
    try {
      for (let i = 0; i < 20; i++) await proxy.classes();
      assert.equal(connections, 1);
    } finally {
      agent['server'].off('connection', count);
      proxy.close();
    }
  });
});

describe('hostile bodies: a clean fault, and the agent keeps answering', () => {
  const cases: [string, string, RegExp, number][] = [
    [
      'billion laughs',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><methodCall><methodName>&lol9;</methodName></methodCall>`,
      /a DOCTYPE is not allowed/,
      FaultCode.PARSE_ERROR,
    ],
    [
      'external entity',
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><methodCall><methodName>&xxe;</methodName></methodCall>`,
      /a DOCTYPE is not allowed/,
      FaultCode.PARSE_ERROR,
    ],
    [
      'arrays nested 100,000 deep',
      encodeCall('classes', []).replace(
        '<params>',
        `<params><param><value>${'<array><data><value>'.repeat(100_000)}${'</value></data></array>'.repeat(100_000)}</value></param>`,
      ),
      /nested more than 256 arrays or structs deep/,
      FaultCode.PARSE_ERROR,
    ],
    ['truncated body', encodeCall('classes', ['x']).slice(0, 60), /not well-formed XML/, FaultCode.PARSE_ERROR],
    ['not XML', 'GET / HTTP/1.0 please', /not well-formed XML/, FaultCode.PARSE_ERROR],
    ['JSON', '{"method": "classes"}', /not well-formed XML/, FaultCode.PARSE_ERROR],
    ['wrong root', '<?xml version="1.0"?><html><body/></html>', /<html> cannot be the root/, FaultCode.INVALID_REQUEST],
    [
      'a response instead of a call',
      '<?xml version="1.0"?><methodResponse><params><param><value>x</value></param></params></methodResponse>',
      /expected <methodCall>, got <methodResponse>/,
      FaultCode.INVALID_REQUEST,
    ],
    [
      '__proto__ as method',
      encodeCall('__proto__', []),
      /method "__proto__" is not supported/,
      FaultCode.METHOD_NOT_FOUND,
    ],
    [
      'constructor as method',
      encodeCall('constructor', []),
      /method "constructor" is not supported/,
      FaultCode.METHOD_NOT_FOUND,
    ],
    [
      'prototype path',
      encodeCall('RemoteClass.prototype', []),
      /method "RemoteClass.prototype" is not supported/,
      FaultCode.METHOD_NOT_FOUND,
    ],
    [
      'constructor.constructor',
      encodeCall('RemoteClass.constructor.constructor', ['return process'] as unknown[]),
      /is not supported/,
      FaultCode.METHOD_NOT_FOUND,
    ],
    [
      'bad create params',
      encodeCall('create', [42]),
      /create: the class name must be a string, got number/,
      FaultCode.INVALID_PARAMS,
    ],
    [
      'unknown class',
      encodeCall('create', ['Nope', []]),
      /no class "Nope" on this agent; it serves Point, RemoteClass/,
      FaultCode.INVALID_PARAMS,
    ],
  ];
  for (const [name, body, pattern, code] of cases) {
    test(name, async () => {
      const fault = await faultOf(body);
      assert.match(fault.faultString, pattern);
      assert.equal(fault.faultCode, code);
      await stillHealthy();
    });
  }

  test('a 50 MB body in full is refused and the agent stays up', async () => {
    const body = Buffer.alloc(50 * 1024 * 1024, 'a');
    const reply = await request({ body }).catch((err: Error) => err);
    if (reply instanceof Error) assert.match(reply.message, /EPIPE|ECONNRESET|socket hang up/);
    else assert.equal(reply.status, 413);
    await stillHealthy();
  });
});
