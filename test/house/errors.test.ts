import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers.js';
import * as wire from '../../src/wire/index.js';
import * as client from '../../src/client/index.js';
import * as topology from '../../src/topology/index.js';
import * as lab from '../../src/lab/index.js';
import * as agent from '../../src/agent/index.js';
import * as guestlibErrors from '../../src/guestlib/errors.js';
import * as modules from '../../src/modules/index.js';
import * as protocol from '../../src/protocol/index.js';
import * as slimExceptions from '../../src/slim/exceptions.js';
import * as slimFixtures from '../../src/slim/fixtures.js';
import * as slimRemote from '../../src/slim/remote.js';
import * as slimFraming from '../../src/slim/framing.js';
import * as slimSerializer from '../../src/slim/serializer.js';
import * as fitnesse from '../../src/cli/fitnesse.js';
import * as exit from '../../src/cli/exit.js';
import * as http1 from '../../src/wire/http1-client.js';
import * as history from '../../src/history/index.js';

const site = { endpoint: '10.0.0.5:7007', method: 'Account_1a2b3c4d_0.deposit', guest: 'web1' };
const fault = new wire.XmlRpcFault(
  1,
  'ValueError: too much',
  Object.assign(Object.create(null), { name: 'ValueError', message: 'too much' }),
);

/**
 * One real instance of every error class src/ exports, and the fields whose
 * values its message shows: a user (or a test runner's report) must be able
 * to read each of them without parsing the message.
 */
const SAMPLES: Record<string, { error: Error; fields: string[] }> = {
  RocError: { error: new wire.RocError('plain', { site }), fields: [] },
  ConnectionError: {
    error: new wire.ConnectionError(site, 'refused', Object.assign(new Error('x'), { code: 'ECONNREFUSED' })),
    fields: ['endpoint', 'method', 'guest', 'code'],
  },
  TransportClosedError: { error: new wire.TransportClosedError(site), fields: ['endpoint', 'method', 'guest'] },
  CallTimeoutError: {
    error: new wire.CallTimeoutError(site, 250),
    fields: ['endpoint', 'method', 'guest', 'timeoutMs'],
  },
  HttpStatusError: {
    error: new wire.HttpStatusError(site, 503, 'busy', undefined),
    fields: ['endpoint', 'method', 'guest', 'status'],
  },
  ProtocolError: { error: new wire.ProtocolError(site, 'not XML-RPC'), fields: ['endpoint', 'method', 'detail'] },
  XmlRpcFault: { error: fault, fields: ['faultString'] },
  DecodeError: { error: new wire.DecodeError('unclosed <value>'), fields: [] },
  EncodeError: { error: new wire.EncodeError('cannot send a function', '[2].fn'), fields: ['path'] },
  ClosedBeforeAnswer: { error: new http1.ClosedBeforeAnswer(12), fields: ['receivedBytes'] },
  MalformedAnswer: { error: new http1.MalformedAnswer('bad chunk size in a chunked answer'), fields: [] },
  PoolClosed: { error: new http1.PoolClosed(), fields: [] },
  RemoteError: {
    error: new client.RemoteError(site, fault),
    fields: ['method', 'guest', 'remoteName', 'remoteMessage'],
  },
  StaleHandleError: { error: new client.StaleHandleError(site, fault), fields: ['method', 'guest', 'remoteName'] },
  UnknownHandleError: { error: new client.UnknownHandleError(site, fault), fields: ['method', 'guest', 'remoteName'] },
  MethodNotFoundError: {
    error: new client.MethodNotFoundError(site, fault),
    fields: ['method', 'guest', 'remoteName'],
  },
  UnknownClassError: {
    error: new client.UnknownClassError(site, 'Nope', ['Account', 'Card']),
    fields: ['guest', 'endpoint', 'className', 'available'],
  },
  ProxyClosedError: { error: new client.ProxyClosedError(site), fields: ['method', 'guest', 'endpoint'] },
  ReleasedProxyError: {
    error: new client.ReleasedProxyError(site, 'Account_1a2b3c4d_0'),
    fields: ['method', 'guest', 'handle'],
  },
  AgentNotReadyError: {
    error: new client.AgentNotReadyError(site, 5000, new Error('refused')),
    fields: ['guest', 'endpoint', 'timeoutMs'],
  },
  EventuallyError: {
    error: new client.EventuallyError('replica caught up: still false after 12 attempts', 12),
    fields: ['attempts'],
  },
  GroupError: {
    error: new topology.GroupError('ping()', [
      { guest: 'web1', endpoint: '10.0.0.5:7007', ok: false, error: new Error('refused') },
      { guest: 'web2', endpoint: '10.0.0.6:7007', ok: true, value: 1 },
    ]),
    fields: [],
  },
  TopologyError: {
    error: new topology.TopologyError('/srv/roc.yml', [
      { line: 4, key: 'guests.web1.port', message: 'must be a number' },
    ]),
    fields: ['file'],
  },
  UnknownGuestError: {
    error: new topology.UnknownGuestError('no guest "web9" in /srv/roc.yml; its guests are web1, web2', {
      selector: 'web9',
      file: '/srv/roc.yml',
      known: ['web1', 'web2'],
    }),
    fields: ['selector', 'file', 'known'],
  },
  TopologyNotFoundError: {
    error: new topology.TopologyNotFoundError('no topology: put a roc.yml in /srv or a parent folder', '/srv'),
    fields: ['cwd'],
  },
  LabError: {
    error: new lab.LabError('a loopback lab is already up for /srv/roc.yml', '/srv/roc.yml'),
    fields: ['topology'],
  },
  LabStartError: {
    error: new lab.LabStartError('web1 and web2 did not come up', ['web1', 'web2']),
    fields: ['guests'],
  },
  LabAgentError: {
    error: new lab.LabAgentError(
      'its agent (pid 4242) exited at once; another agent (pid 77) answers on 10.0.0.5:7007',
      {
        guest: 'web1',
        endpoint: '10.0.0.5:7007',
        pid: 4242,
        answeredBy: 77,
      },
    ),
    fields: ['endpoint', 'pid', 'answeredBy'],
  },
  StopTimeoutError: {
    error: new lab.StopTimeoutError('pid 4242 ignored SIGTERM for 5000 ms', 4242, 5000),
    fields: ['pid', 'waitedMs'],
  },
  NetnsError: {
    error: new lab.NetnsError('ip link add rb-x type bridge failed: File exists', {
      command: 'ip link add rb-x type bridge',
      stderr: 'File exists',
    }),
    fields: ['command', 'stderr'],
  },
  AgentLaunchError: {
    error: new lab.AgentLaunchError(['-m', 'm.js'], 1, 'no module m.js'),
    fields: ['exitCode', 'stderr'],
  },
  AgentStartError: {
    error: new agent.AgentStartError('cannot listen on 10.0.0.5:7007: in use', '10.0.0.5:7007'),
    fields: ['address'],
  },
  GuestCommandError: {
    error: new guestlibErrors.GuestCommandError('systemctl start nginx failed with exit code 5: Unit not found', {
      command: 'systemctl start nginx',
      exitCode: 5,
      stderr: 'Unit not found',
    }),
    fields: ['command', 'exitCode', 'stderr'],
  },
  SshGuestError: {
    error: new topology.SshGuestError(
      "guest web1 (ssh deploy@10.0.0.5): no node on the guest's PATH: install Node.js 18 or later there",
      { guest: 'web1', target: '10.0.0.5', stderr: 'sh: 1: node: not found', exitCode: 127 },
    ),
    fields: ['guest', 'target'],
  },
  DaemonError: {
    error: new guestlibErrors.DaemonError(
      'pid 4242 (etcd --name n1) is still there 5000 ms after SIGKILL; is it stuck in the kernel (ps -o stat 4242)?',
      { pid: 4242, command: 'etcd --name n1' },
    ),
    fields: ['command', 'pid'],
  },
  HttpGetError: {
    error: new guestlibErrors.HttpGetError('GET http://10.0.0.5/ failed: ECONNREFUSED', {
      url: 'http://10.0.0.5/',
      code: 'ECONNREFUSED',
    }),
    fields: ['url', 'code'],
  },
  ModuleLoadError: {
    error: new modules.ModuleLoadError('/srv/m.js:3:11: SyntaxError', '/srv/m.js', { line: 3, column: 11 }),
    fields: ['file', 'line', 'column'],
  },
  TokenFileError: {
    error: new protocol.TokenFileError('cannot read token file /srv/.roc/token', '/srv/.roc/token'),
    fields: ['file'],
  },
  SlimFailure: { error: slimExceptions.noClass('web1.Nope', 'web1 serves Account'), fields: ['code'] },
  SystemExitPrevented: { error: new slimExceptions.SystemExitPrevented(3), fields: ['exitCode'] },
  ImportNotFoundError: {
    error: new slimFixtures.ImportNotFoundError('fixtures/mine', ['/srv/fixtures/mine', '/srv/fixtures/mine.js']),
    fields: ['given', 'tried'],
  },
  RemoteFixtureError: {
    error: new slimRemote.RemoteFixtureError('web1', 'Account.deposit', new Error('too much')),
    fields: [],
  },
  FrameError: { error: new slimFraming.FrameError('frame length has more than 20 digits'), fields: [] },
  SlimSyntaxError: { error: new slimSerializer.SlimSyntaxError("can't deserialize an empty string"), fields: [] },
  FitnesseSetupError: { error: new fitnesse.FitnesseSetupError('no FitNesse jar at /x.jar'), fields: [] },
  FaultRefusedError: {
    error: new guestlibErrors.FaultRefusedError('no process sleep runs on this guest', 'no-process'),
    fields: [],
  },
  NemesisError: {
    error: new topology.NemesisError(
      'partition n1 | n2',
      [{ guest: 'n2', reason: 'shared-stack', error: new Error('peer 127.0.1.11 is an address of this guest itself') }],
      ['n1'],
    ),
    fields: ['guest', 'rolledBack'],
  },
  CallerGoneError: { error: new guestlibErrors.CallerGoneError(), fields: [] },
  'WaitTimeoutError (guestlib)': {
    error: new guestlibErrors.WaitTimeoutError(
      'waited 2000 ms in vain for log line /ready/ in /var/log/app.log (last: "starting")',
      2000,
      ['log line /ready/ in /var/log/app.log (last: "starting")'],
    ),
    fields: ['timeoutMs', 'observed'],
  },
  'WaitTimeoutError (topology)': {
    error: new topology.WaitTimeoutError(
      'web1',
      '10.0.0.5:7007',
      2000,
      ['port 8080 (closed)', 'unit app.service (activating)'],
      new Error('timed out'),
    ),
    fields: ['guest', 'endpoint', 'timeoutMs', 'observed'],
  },
  UsageError: { error: new exit.UsageError('--runner fitnesse needs Java', '--runner'), fields: ['option'] },
  HistoryError: { error: new history.HistoryError('line 3: not JSON (Unexpected token)', 3), fields: ['at'] },
};

/**
 * Every `export class X extends ...` in src/, keyed by name, or by
 * `name (folder)` for a name two folders declare (the guest's WaitTimeoutError
 * travels as a fault the host turns into its own, of the same name).
 */
function exportedClasses(): Map<string, { name: string; file: string }> {
  const all: { name: string; file: string }[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(
          /^export (?:abstract )?class (\w+)(?:<[^>]*>)? extends (\w+)/gm,
        ))
          all.push({ name: m[1]!, file: relative(repoRoot, p) });
    }
  };
  walk(join(repoRoot, 'src'));
  const twice = (name: string): boolean => all.filter((c) => c.name === name).length > 1;
  return new Map(all.map((c) => [twice(c.name) ? `${c.name} (${c.file.split('/')[1]})` : c.name, c]));
}

const shown = (v: unknown): string[] =>
  Array.isArray(v) ? v.flatMap(shown) : v === undefined || v === null ? [] : [String(v)];

test('every error class src/ exports is a RocError, with its name on the prototype, and has a sample here', async () => {
  const classes = exportedClasses();
  const errorClasses: string[] = [];
  for (const [key, { name, file }] of classes) {
    const mod = (await import(pathToFileURL(join(repoRoot, 'dist', file.replace(/\.ts$/, '.js'))).href)) as Record<
      string,
      unknown
    >;
    const cls = mod[name] as { prototype: unknown } | undefined;
    if (!cls || !((cls.prototype as object) instanceof Error)) continue;
    errorClasses.push(key);
    assert.ok(
      (cls.prototype as object) instanceof wire.RocError || name === 'RocError',
      `${name} (${file}) is not a RocError`,
    );
    assert.equal(
      Object.getOwnPropertyDescriptor(cls.prototype, 'name')?.value,
      name,
      `${name} (${file}): name on the prototype`,
    );
    assert.ok(
      SAMPLES[key],
      `${key} (${file}) has no sample in test/house/errors.test.ts: add one with the fields its message uses`,
    );
  }
  assert.ok(errorClasses.length >= 40, `found only ${errorClasses.length} error classes`);
  assert.deepEqual(
    Object.keys(SAMPLES).filter((n) => !errorClasses.includes(n)),
    [],
    'samples of classes that no longer exist',
  );
});

test('each error carries the values its message shows as fields, and name is not an own field', () => {
  for (const [key, { error, fields }] of Object.entries(SAMPLES)) {
    const name = key.replace(/ \(.*\)$/, '');
    assert.equal(error.name, name);
    assert.ok(error instanceof wire.RocError, `${name} is a RocError`);
    assert.ok(!Object.keys(error).includes('name'), `${name}: name is an own enumerable field`);
    for (const field of fields) {
      const value = (error as unknown as Record<string, unknown>)[field];
      const parts = shown(value);
      assert.ok(parts.length > 0, `${name}.${field} is empty`);
      for (const part of parts)
        assert.ok(error.message.includes(part), `${name}.${field} (${part}) is not in its message: ${error.message}`);
    }
  }
});
