import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { http as request, httpGet } from '../../src/guestlib/network.js';
import { facts } from '../../src/guestlib/system.js';
import { until } from '../../src/guestlib/wait.js';
import { Wait } from '../../src/topology/index.js';
import { rejection } from '../helpers.js';

let server: http.Server;
let base: string;
const seen: { method: string; type: string | undefined; body: string }[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, type: req.headers['content-type'], body });
      if (req.url === '/v3/kv/range' && req.method !== 'POST') {
        res.writeHead(405).end('POST only');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen': req.method! });
      res.end(JSON.stringify({ method: req.method, echo: body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test('network.http: POST with a JSON body, a string body, other methods; any status is an answer', async () => {
  const json = await request({ url: `${base}/v3/kv/range`, method: 'post', body: { key: 'Zm9v' } });
  assert.equal(json.status, 200);
  assert.deepEqual(JSON.parse(json.body), { method: 'POST', echo: '{"key":"Zm9v"}' });
  assert.equal(seen.at(-1)!.type, 'application/json');
  const text = await request({
    url: `${base}/x`,
    method: 'PUT',
    body: 'a=1',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(text.headers['x-seen'], 'PUT');
  assert.deepEqual(seen.at(-1), { method: 'PUT', type: 'application/x-www-form-urlencoded', body: 'a=1' });
  assert.equal((await request({ url: `${base}/v3/kv/range` })).status, 405);
  assert.equal((await httpGet(`${base}/y`)).headers['x-seen'], 'GET');
  assert.equal((await request({ url: `${base}/z`, method: 'DELETE' })).headers['x-seen'], 'DELETE');
});

test('network.http: no answer is an error naming the method and URL; bad requests are TypeErrors', async () => {
  const refused = await rejection(request({ url: 'http://127.0.0.1:1/v3/kv/put', method: 'POST', body: {} }));
  assert.match(refused.message, /^POST http:\/\/127\.0\.0\.1:1\/v3\/kv\/put failed: ECONNREFUSED/);
  assert.throws(() => request({ url: 'ftp://x/' }), /is not an http: or https: URL/);
  assert.throws(() => request({ url: `${base}/`, method: 'GE T' }), /"GE T" is not an HTTP method/);
});

test('Wait.http: waits for a POST to answer the status, with a body matching', async () => {
  const r = await until(
    Wait.http(`${base}/v3/kv/range`, { method: 'POST', body: { key: 'a' }, bodyMatches: /"echo":"\{\\"key/ }),
    5_000,
  );
  assert.match(r.observed[0]!, /^HTTP 200 from POST http:\/\/127\.0\.0\.1:\d+\/v3\/kv\/range/);
  const late = await rejection(until(Wait.http(`${base}/v3/kv/range`, { status: 201, method: 'POST' }), 300));
  assert.match(late.message, /still waiting after 300 ms for HTTP 201 from POST .*: got HTTP 200/);
});

test('system.facts: the guest addresses and its name as the topology gives it', async () => {
  const before = process.env.ROC_GUEST;
  process.env.ROC_GUEST = 'web1';
  try {
    const f = await facts();
    assert.equal(f.guest, 'web1');
    assert.ok(
      f.addresses.some((a) => a.address === '127.0.0.1' && a.internal && a.prefix === 8 && a.family === 'IPv4'),
      JSON.stringify(f.addresses),
    );
  } finally {
    if (before === undefined) delete process.env.ROC_GUEST;
    else process.env.ROC_GUEST = before;
  }
});
