import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from '../../src/agent/index.js';
import { ConnectionError, serverProxy } from '../../src/index.js';
import { example, fixture, rejection } from '../helpers.js';

const pem = (name: string): Buffer => readFileSync(fixture(`tls/${name}`));

describe('TLS', () => {
  let agent: Agent;
  before(async () => {
    agent = await Agent.start({
      modules: [example('remote_class.js')],
      port: 0,
      tls: { cert: pem('server.pem'), key: pem('server.key') },
    });
  });
  after(() => agent.close(100));

  test('the client verifies the agent against the CA it is given', async () => {
    assert.match(agent.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const proxy = serverProxy('127.0.0.1', agent.port, { tls: { ca: pem('ca.pem') } });
    assert.deepEqual(await proxy.classes(), ['Point', 'RemoteClass']);
    proxy.close();
  });

  test('verification is on by default: an unknown CA fails with a TLS error', async () => {
    for (const tls of [{}, { ca: pem('other-ca.pem') }]) {
      const proxy = serverProxy('127.0.0.1', agent.port, { tls });
      const err = await rejection(proxy.classes());
      assert.ok(err instanceof ConnectionError, String(err));
      assert.equal(err.reason, 'tls');
      assert.match(
        err.message,
        /^classes on 127\.0\.0\.1:\d+ failed: TLS handshake failed \(\w+\); check the agent certificate and the CA given to the client$/,
      );
      proxy.close();
    }
  });
});

describe('TLS with client certificates', () => {
  let agent: Agent;
  before(async () => {
    agent = await Agent.start({
      modules: [example('remote_class.js')],
      port: 0,
      tls: { cert: pem('server.pem'), key: pem('server.key'), clientCa: pem('ca.pem') },
    });
  });
  after(() => agent.close(100));

  test('a client with a certificate signed by the CA gets in', async () => {
    const proxy = serverProxy('127.0.0.1', agent.port, {
      tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') },
    });
    assert.deepEqual(await proxy.classes(), ['Point', 'RemoteClass']);
    proxy.close();
  });

  test('a client without one is turned away', async () => {
    const proxy = serverProxy('127.0.0.1', agent.port, { tls: { ca: pem('ca.pem') } });
    const err = await rejection(proxy.classes());
    assert.ok(err instanceof ConnectionError, String(err));
    assert.equal(err.reason, 'tls');
    assert.match(
      err.message,
      /^classes on 127\.0\.0\.1:\d+ failed: TLS handshake failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\); the agent requires a client certificate: pass tls: \{ cert, key \} to serverProxy$/,
    );
    proxy.close();
  });
});
