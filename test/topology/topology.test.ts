import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTopologyFile, loadTopology, parseDuration, TopologyError } from '../../src/topology/index.js';
import { example } from '../helpers.js';

function topologyFile(text: string, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'roc-topo-'));
  for (const [name, content] of Object.entries(extra)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const file = join(dir, 'roc.yml');
  writeFileSync(file, text);
  return file;
}

function problems(text: string, extra?: Record<string, string>): string {
  const file = topologyFile(text, extra);
  try {
    loadTopology(file);
  } catch (err) {
    assert.ok(err instanceof TopologyError, String(err));
    return err.message.split(file).join('roc.yml');
  }
  throw new Error('expected a TopologyError');
}

describe('topology validation: file, line and key in every message', () => {
  test('an unknown key', () => {
    assert.equal(
      problems('defaults: { port: 7007 }\nguests:\n  web1:\n    host: 127.0.1.11\n    hots: typo\n'),
      'roc.yml:5: guests.web1.hots: unknown key (expected host, port, roles, modules, token_file, timeout, tls, box, memory, cpus, faults, logs, packages, transport, ssh)',
    );
    assert.equal(
      problems('guest:\n  web1: { host: 127.0.1.11 }\nguests:\n  web1: { host: 127.0.1.11 }\n'),
      'roc.yml:1: guest: unknown key (expected defaults, guests, inventories)',
    );
  });

  test('a bad address', () => {
    assert.equal(
      problems('guests:\n  web1: { host: 192.168.56.300 }\n'),
      'roc.yml:2: guests.web1.host: "192.168.56.300" is not an IP address or host name',
    );
    assert.equal(
      problems('guests:\n  web1: { host: "bad host!" }\n'),
      'roc.yml:2: guests.web1.host: "bad host!" is not an IP address or host name',
    );
    assert.equal(
      problems('guests:\n  web1: { roles: [web] }\n'),
      'roc.yml:2: guests.web1: host: is missing (an IP address or host name)',
    );
  });

  test('a duplicate port on the same host', () => {
    assert.equal(
      problems('defaults: { port: 7007 }\nguests:\n  web1: { host: 127.0.1.11 }\n  web2:\n    host: 127.0.1.11\n'),
      "roc.yml:5: guests.web2.host: 127.0.1.11:7007 is already guest web1's; give each guest on one host its own port",
    );
    assert.equal(
      problems('guests:\n  a: { host: 10.0.0.1, port: 8000 }\n  b: { host: 10.0.0.1, port: 8000 }\n'),
      "roc.yml:3: guests.b.port: 10.0.0.1:8000 is already guest a's; give each guest on one host its own port",
    );
  });

  test('a missing token file', () => {
    const msg = problems('defaults:\n  token_file: .roc/token\nguests:\n  web1: { host: 127.0.1.11 }\n');
    assert.match(
      msg,
      /^roc\.yml:2: defaults\.token_file: \/.*\/\.roc\/token does not exist \(make one with: roc token \/.*\/\.roc\/token\)$/,
    );
  });

  test('bad ports, durations, modules and names; all problems at once, in line order', () => {
    const msg = problems(
      'defaults:\n  timeout: soon\nguests:\n  "1bad": { host: 127.0.1.1 }\n  web1:\n    host: 127.0.1.11\n    port: 70000\n    modules: [nope.js]\n',
    );
    assert.equal(
      msg,
      [
        'roc.yml:2: defaults.timeout: "soon" is not a duration (like 10s, 500ms or 2m)',
        'roc.yml:4: guests.1bad: a guest name starts with a letter and holds only letters, digits, - and _ (at most 32)',
        'roc.yml:7: guests.web1.port: 70000 is not a port (1 to 65535)',
        `roc.yml:8: guests.web1.modules: module ${msg.match(/module (\S+nope\.js)/)![1]} does not exist`,
      ].join('\n'),
    );
  });

  test('transport and ssh: known values, and ssh settings only with transport: ssh or vagrant', () => {
    assert.equal(
      problems(
        'guests:\n  a: { host: 10.0.0.1, transport: telnet }\n  b: { host: 10.0.0.2, ssh: { user: x } }\n  c: { host: 10.0.0.3, transport: ssh, ssh: { port: 0, sudo: yes, shell: zsh } }\n',
      ),
      [
        'roc.yml:2: guests.a.transport: "telnet" is not a transport: agent (the default), ssh or vagrant',
        'roc.yml:3: guests.b.ssh: is read only with transport: ssh or vagrant',
        'roc.yml:4: guests.c.ssh.shell: unknown key (expected user, port, identity_file, config_host, config_file, sudo)',
        'roc.yml:4: guests.c.ssh.port: must be a port from 1 to 65535',
        'roc.yml:4: guests.c.ssh.sudo: must be true or false',
      ].join('\n'),
    );
  });

  test('a log is an absolute path on the guest', () => {
    assert.equal(
      problems('guests:\n  web1: { host: 127.0.1.11, logs: [app.log] }\n'),
      'roc.yml:2: guests.web1.logs: app.log: a log is an absolute path on the guest',
    );
  });

  test('YAML syntax errors give the line', () => {
    assert.match(problems('guests:\n  web1: { host: 127.0.1.11\n  web2: x\n'), /^roc\.yml:\d: \(yaml\): /);
    assert.equal(problems('just a string\n'), 'roc.yml:1: (top): a topology is a mapping with a guests: section');
    assert.equal(
      problems('defaults: {}\n'),
      'roc.yml:1: guests: must map at least one guest name to its settings, e.g. web1: { host: 127.0.1.11 }',
    );
  });
});

describe('loading', () => {
  test('defaults apply, paths are relative to the file, durations parse', () => {
    const file = topologyFile(
      'defaults: { port: 7100, timeout: 2s, token_file: tok, modules: [lib.js], logs: [/var/log/syslog] }\nguests:\n  web1: { host: 127.0.1.11, roles: [web, front], modules: [app.js], timeout: 500ms, logs: [/var/log/app.log] }\n  db1: { host: db.local, port: 7200, memory: 1024 }\n',
      { tok: 'x\n', 'lib.js': '', 'app.js': '' },
    );
    const t = loadTopology(file);
    const web1 = t.specs.get('web1')!;
    const dir = join(file, '..');
    assert.deepEqual(
      { ...web1, tls: undefined },
      {
        name: 'web1',
        host: '127.0.1.11',
        port: 7100,
        roles: ['web', 'front'],
        modules: [join(dir, 'lib.js'), join(dir, 'app.js')],
        logs: ['/var/log/syslog', '/var/log/app.log'],
        tokenFile: join(dir, 'tok'),
        timeoutMs: 500,
        tls: undefined,
        vagrant: {},
        transport: 'agent',
        ssh: undefined,
        source: 'the topology',
      },
    );
    const db1 = t.specs.get('db1')!;
    assert.equal(db1.port, 7200);
    assert.equal(db1.timeoutMs, 2000);
    assert.deepEqual(db1.vagrant, { memory: 1024 });
    assert.deepEqual(db1.logs, ['/var/log/syslog']);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration(3), 3000);
    assert.equal(parseDuration('x'), undefined);
  });

  test('found through ROC_TOPOLOGY, or roc.yml here or in a parent', () => {
    const file = topologyFile('guests:\n  web1: { host: 127.0.1.11 }\n');
    const deep = join(file, '..', 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const saved = process.env.ROC_TOPOLOGY;
    delete process.env.ROC_TOPOLOGY;
    try {
      assert.equal(findTopologyFile(deep), file);
      process.env.ROC_TOPOLOGY = file;
      assert.equal(findTopologyFile('/'), file);
      delete process.env.ROC_TOPOLOGY;
      assert.throws(
        () => findTopologyFile(mkdtempSync(join(tmpdir(), 'roc-none-'))),
        /^TopologyNotFoundError: no topology: set ROC_TOPOLOGY, or put a roc\.yml in \/.* or a parent folder/,
      );
    } finally {
      if (saved === undefined) delete process.env.ROC_TOPOLOGY;
      else process.env.ROC_TOPOLOGY = saved;
    }
  });

  test('selectors: role, glob, names, all; unknown ones name what exists', () => {
    const t = loadTopology(
      topologyFile(
        `guests:\n  web1: { host: 127.0.1.11, roles: [web], modules: [${example('remote_class.js')}] }\n  web2: { host: 127.0.1.12, roles: [web] }\n  db1: { host: 127.0.1.13, roles: [db] }\n`,
      ),
    );
    assert.deepEqual(t.guests('role:web').names, ['web1', 'web2']);
    assert.deepEqual(t.guests('web*').names, ['web1', 'web2']);
    assert.deepEqual(t.guests('db1,web2').names, ['web2', 'db1']);
    assert.deepEqual(t.guests().names, ['web1', 'web2', 'db1']);
    assert.throws(() => t.guests('role:cache'), /no guest in .*roc\.yml has role "cache"; the roles are db, web/);
    assert.throws(() => t.guests('app*'), /no guest in .*roc\.yml matches "app\*"; its guests are web1, web2, db1/);
    assert.throws(() => t.guest('web3'), /no guest "web3" in .*roc\.yml; its guests are web1, web2, db1/);
    assert.equal(t.guest('web1'), t.guest('web1'), 'one Guest (and one connection pool) per name');
  });
});
