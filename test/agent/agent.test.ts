import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../src/agent/index.js';
import {
  CallTimeoutError,
  FaultCode,
  MethodNotFoundError,
  ReleasedProxyError,
  RemoteError,
  StaleHandleError,
  UnknownClassError,
  UnknownHandleError,
  getAttribute,
  eventually,
  isRemote,
  release,
  remoteInfo,
  remoteModule,
  serverProxy,
  setAttribute,
  type ServerProxy,
} from '../../src/index.js';
import { HttpTransport } from '../../src/wire/index.js';
import { fixture, rejection } from '../helpers.js';

let agent: Agent;
let proxy: ServerProxy;
let M: ReturnType<typeof remoteModule>;

before(async () => {
  agent = await Agent.start({ modules: [fixture('edge_cases.js')], port: 0, callTimeoutMs: 300 });
  proxy = serverProxy('127.0.0.1', agent.port);
  M = remoteModule(proxy);
});

after(async () => {
  proxy.close();
  await agent.close(100);
});

describe('protocol methods', () => {
  test('classes, create, instances, release', async () => {
    assert.deepEqual(await proxy.classes(), ['Account', 'Card', 'Careless', 'Exploding']);
    const handle = await proxy.create('Account', ['ann', 5]);
    assert.match(handle, new RegExp(`^Account_${agent.bootId}_\\d+$`));
    assert.ok((await proxy.instances()).includes(handle));
    assert.equal(await proxy.call(`${handle}.deposit`, 10), 15);
    assert.equal(await proxy.releaseHandle(handle), true);
    assert.equal(await proxy.releaseHandle(handle), false);
    assert.ok(!(await proxy.instances()).includes(handle));
  });

  test('ping and describe', async () => {
    const info = await proxy.ping();
    assert.equal(info.bootId, agent.bootId);
    assert.equal(info.pid, process.pid);
    assert.ok(info.modules[0]!.endsWith('edge_cases.js'));
    const d = await proxy.describe();
    const account = d.classes.find((c) => c.name === 'Account')!;
    assert.equal(account.constructor, 'owner, balance');
    assert.deepEqual(account.statics, ['create']);
    assert.ok(account.methods.some((m) => m.name === 'deposit' && m.params === 'amount'));
    assert.ok(!account.methods.some((m) => m.name.startsWith('_')));
    assert.deepEqual(
      d.functions.map((f) => f.name),
      ['delayedEcho', 'sum'],
    );
  });

  test('system.listMethods, methodHelp, methodSignature', async () => {
    const handle = await proxy.create('Card', ['x']);
    const methods = await proxy.call<string[]>('system.listMethods');
    for (const m of [
      'classes',
      'create',
      'instances',
      'shutdown',
      'system.multicall',
      'sum',
      'Account.create',
      `${handle}.shout`,
    ])
      assert.ok(methods.includes(m), m);
    assert.equal(await proxy.call('system.methodHelp', `${handle}.shout`), 'Card.shout()');
    assert.equal(
      await proxy.call('system.methodHelp', 'sum').then((s) => String(s).split(' from ')[0]),
      'sum(...values)',
    );
    assert.equal(await proxy.call('system.methodHelp', 'nope'), '');
    assert.equal(await proxy.call('system.methodSignature', 'create'), 'signatures not supported');
  });

  test('system.multicall runs in order and reports faults per call', async () => {
    const handle = await proxy.create('Account', ['bo', 0]);
    const results = await proxy.multicall([
      { method: `${handle}.deposit`, params: [1] },
      { method: `${handle}.deposit`, params: [2] },
      { method: `${handle}.nope` },
      { method: 'sum', params: [1, 2, 3] },
    ]);
    assert.deepEqual(results.slice(0, 2), [
      { ok: true, value: 1 },
      { ok: true, value: 3 },
    ]);
    assert.equal(results[2]!.ok, false);
    assert.ok(!results[2]!.ok && results[2]!.error instanceof MethodNotFoundError);
    assert.deepEqual(results[3], { ok: true, value: 6 });
  });

  test('static methods are callable as Class.method', async () => {
    const acct = await proxy.call('Account.create', 'cy');
    assert.ok(isRemote(acct));
    assert.equal(await (acct as any).balance, 100);
  });
});

describe('access rules: only public methods of served classes', () => {
  for (const name of [
    '_audit',
    '_internal',
    'constructor',
    '__proto__',
    'prototype',
    'hasOwnProperty',
    '__defineGetter__',
    'valueOf',
    'secret',
    '#secret',
    'deposit.call',
    'owner',
  ]) {
    test(`${name} is not callable`, async () => {
      const handle = await proxy.create('Account', ['dee']);
      const err = await rejection(proxy.call(`${handle}.${name}`));
      assert.ok(err instanceof MethodNotFoundError, `${name}: ${err}`);
      assert.equal(err.faultCode, FaultCode.METHOD_NOT_FOUND);
      assert.match(
        err.message,
        /Account has no public method .*; it has badReturn, cardLabel, cards, deposit, failWithCause/,
      );
    });
  }

  test('a method the class defines itself is callable even if Object.prototype has one too', async () => {
    const handle = await proxy.create('Account', ['eve']);
    assert.equal(await proxy.call(`${handle}.toString`), 'Account(eve)');
  });

  test('top-level names that are not served are unknown', async () => {
    for (const name of [
      'Account',
      '__proto__',
      'constructor',
      'toString',
      'Account.prototype',
      'Account.constructor',
      'process.exit',
    ]) {
      const err = await rejection(proxy.call(name));
      assert.ok(err instanceof MethodNotFoundError, name);
    }
    const err = await rejection(proxy.call('Account'));
    assert.match(
      err.message,
      /method "Account" is not supported \(that is a class: create an instance with create\("Account", \[args\]\)\)/,
    );
  });

  test('attributes: public ones read and write, private and methods refused', async () => {
    const acct = await M.Account!('fay', 7);
    assert.equal(await acct.owner, 'fay');
    assert.equal(await acct.balance, 7);
    await setAttribute(acct, 'limit', 50);
    assert.equal(await acct.limit, 50);
    assert.match(
      (await rejection(getAttribute(acct, '_internal'))).message,
      /Account has no public attribute "_internal"/,
    );
    assert.match(
      (await rejection(getAttribute(acct, 'deposit'))).message,
      /Account\.deposit is a method: call it instead of reading it/,
    );
    assert.match((await rejection(setAttribute(acct, 'balance', 1))).message, /Account\.balance is read-only/);
    assert.match(
      (await rejection(setAttribute(acct, 'deposit', 1))).message,
      /Account\.deposit is a method and cannot be replaced/,
    );
    assert.match(
      (await rejection(setAttribute(acct, '__proto__', {}))).message,
      /"__proto__" is not a public attribute name/,
    );
    assert.match((await rejection(setAttribute(acct, '_x', 1))).message, /"_x" is not a public attribute name/);
  });

  test('__proto__ and constructor members in arguments are plain data', async () => {
    const acct = await M.Account!('gus');
    const payload = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}');
    const limit = Object.assign(Object.create(null), payload);
    await setAttribute(acct, 'limit', limit);
    const back = await acct.limit;
    assert.deepEqual(Object.keys(back), ['__proto__', 'constructor']);
    assert.equal(({} as any).polluted, undefined);
  });
});

describe('objects by reference', () => {
  test('a served instance returned by a method is a remote object', async () => {
    const acct = await M.Account!('hal');
    const card = await acct.spawnCard('ace');
    assert.ok(isRemote(card));
    assert.equal(remoteInfo(card).className, 'Card');
    assert.equal(await card.shout(), 'ACE');
    const cards = await acct.cards(3);
    assert.deepEqual(await Promise.all(cards.map((c: any) => c.shout())), ['C0', 'C1', 'C2']);
  });

  test("a remote object passed back as an argument is the agent's own object", async () => {
    const acct = await M.Account!('ida');
    const card = await M.Card!('king');
    assert.equal(await acct.cardLabel(card), 'king');
    await release(card);
    await assert.rejects(acct.cardLabel(card), /cannot pass Card_.* it was released/);
  });

  test('a remote object cannot be passed to another agent', async () => {
    const other = await Agent.start({ modules: [fixture('edge_cases.js')], port: 0 });
    const otherProxy = serverProxy('127.0.0.1', other.port);
    try {
      const card = await M.Card!('q');
      const acct = await remoteModule(otherProxy).Account!('jo');
      await assert.rejects(
        acct.cardLabel(card),
        /cannot pass Card_.* to 127\.0\.0\.1:\d+: it lives on 127\.0\.0\.1:\d+, and objects cannot move between agents/,
      );
    } finally {
      otherProxy.close();
      await other.close(100);
    }
  });
});

describe('errors', () => {
  test('a thrown error is a RemoteError with remote class, message, stack, code and cause', async () => {
    const acct = await M.Account!('kim');
    const err = await rejection(acct.failWithCause());
    assert.ok(err instanceof RemoteError);
    assert.equal(err.faultCode, 1);
    assert.equal(err.faultString, 'Error: outer');
    assert.equal(err.remoteName, 'Error');
    assert.equal(err.remoteMessage, 'outer');
    assert.equal(err.remoteCode, 'EOUTER');
    assert.match(err.remoteStack!, /at Account\.failWithCause \(file:\/\/.*edge_cases\.js:\d+:\d+\)/);
    const cause = err.fault.cause as Record<string, unknown>;
    assert.equal(cause.message, 'inner');
    assert.equal(cause.code, 'EINNER');
    assert.equal(err.endpoint, `127.0.0.1:${agent.port}`);
    assert.match(err.method!, /^Account_\w+_\d+\.failWithCause$/);
    assert.match(err.message, /^Account_\w+_\d+\.failWithCause on 127\.0\.0\.1:\d+ failed: Error: outer$/);
    assert.match(err.stack!, /--- remote stack on 127\.0\.0\.1:\d+ ---\nError: outer\n\s+at Account\.failWithCause/);
  });

  test('rejected promises, thrown strings and constructor errors', async () => {
    const acct = await M.Account!('lee');
    const s = await rejection(acct.throwString());
    assert.equal(s.remoteName, 'Error');
    assert.equal(s.remoteMessage, 'a plain string');
    const c = await rejection(M.Exploding!());
    assert.ok(c instanceof RemoteError);
    assert.equal(c.remoteName, 'RangeError');
    assert.match(c.message, /create on 127\.0\.0\.1:\d+ failed: RangeError: constructor says no/);
    const t = await rejection(M.Account!(42));
    assert.match(t.message, /TypeError: owner must be a string, got number/);
  });

  test('a return value XML-RPC cannot carry is a clear fault', async () => {
    const acct = await M.Account!('mo');
    const err = await rejection(acct.badReturn());
    assert.ok(err instanceof RemoteError);
    assert.match(
      err.message,
      /TypeError: Account_\w+\.badReturn returned a value XML-RPC cannot carry: cannot send a function fn: XML-RPC carries data only \(at fn\)/,
    );
  });

  test('unknown class: a rejection that lists the classes served', async () => {
    const err = await rejection(M.Nope!(1, 2));
    assert.ok(err instanceof UnknownClassError);
    assert.equal(
      err.message,
      `no class "Nope" on 127.0.0.1:${agent.port}; it serves Account, Card, Careless, Exploding`,
    );
    assert.deepEqual(err.available, ['Account', 'Card', 'Careless', 'Exploding']);
  });

  test('a released handle: UnknownHandleError from the agent, ReleasedProxyError locally', async () => {
    const acct = await M.Account!('ned');
    const { handle } = remoteInfo(acct);
    assert.equal(await release(acct), true);
    assert.equal(await release(acct), false);
    const local = await rejection(acct.deposit(1));
    assert.ok(local instanceof ReleasedProxyError);
    assert.match(
      local.message,
      /Account_\w+\.deposit: Account_\w+ on 127\.0\.0\.1:\d+ was released by this client; create a new instance/,
    );
    const remote = await rejection(proxy.call(`${handle}.deposit`, 1));
    assert.ok(remote instanceof UnknownHandleError);
    assert.match(remote.message, /no live object Account_\w+ on this agent: it was released, or never created here/);
  });

  test("the agent's call deadline answers a method that never settles; the agent stays healthy", async () => {
    const acct = await M.Account!('oz');
    const err = await rejection(acct.never());
    assert.ok(err instanceof RemoteError);
    assert.equal(err.faultCode, FaultCode.CALL_TIMEOUT);
    assert.match(err.message, /did not finish within the agent's 300 ms call deadline/);
    assert.equal(await acct.deposit(1), 1);
  });

  test('the client deadline rejects with CallTimeoutError naming the endpoint', async () => {
    const slow = serverProxy('127.0.0.1', agent.port, { timeout: 100 });
    try {
      const err = await rejection(slow.call('delayedEcho', 'x', 250));
      assert.ok(err instanceof CallTimeoutError);
      assert.equal(
        err.message,
        `delayedEcho on 127.0.0.1:${agent.port} got no answer within 100 ms; the agent may be hung or stopped, or the method slow (raise the client's timeout option); the call may still be running and was not retried`,
      );
    } finally {
      slow.close();
    }
  });
});

describe('exported functions and values', () => {
  test('functions are called through the module', async () => {
    assert.equal(await M.sum!(1, 2, 3), 6);
    assert.equal(await M.delayedEcho!('later', 5), 'later');
  });

  test('every XML-RPC type survives a call', async () => {
    const acct = await M.Account!('pat');
    const values = [
      'Köln 🀜 <&>',
      42,
      -1.5,
      true,
      null,
      new Date(Date.UTC(2020, 0, 2, 3, 4, 5)),
      Buffer.from([0, 255]),
      2n ** 60n,
      [1, [2, [3]]],
      { a: { b: 'c' } },
    ];
    await setAttribute(acct, 'limit', values);
    const back = await acct.limit;
    assert.deepEqual(
      JSON.parse(JSON.stringify(back, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))),
      JSON.parse(JSON.stringify(values, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))),
    );
    assert.ok(back[5] instanceof Date);
    assert.ok(Buffer.isBuffer(back[6]));
    assert.equal(back[7], 2n ** 60n);
  });
});

describe('restarts: handles are never reused', () => {
  test('a handle from an earlier run gets StaleHandleError, never another object', async () => {
    const first = await Agent.start({ modules: [fixture('edge_cases.js')], port: 0 });
    const port = first.port;
    const p = serverProxy('127.0.0.1', port);
    const acct = await remoteModule(p).Account!('quinn');
    const { handle } = remoteInfo(acct);
    await first.close(100);
    // The next call must meet the new run, not the old run's closed
    // connection: wait until the client has read that connection's FIN.
    await eventually(() => (p.transport as HttpTransport).idleConnections === 0, { timeout: 5_000, interval: 5 });
    const second = await Agent.start({ modules: [fixture('edge_cases.js')], port });
    try {
      // The new run creates objects of its own; none may answer to the old handle.
      await remoteModule(p).Account!('rae');
      const err = await rejection(acct.deposit(1));
      assert.ok(err instanceof StaleHandleError, String(err));
      assert.equal(
        err.message,
        `${handle}.deposit on 127.0.0.1:${port} failed: StaleHandleError: ${handle} was created by an earlier run of this agent (boot ${first.bootId}; this run is boot ${second.bootId}): the agent restarted since, and the object is gone; create it again`,
      );
      assert.equal(await release(acct), false);
    } finally {
      p.close();
      await second.close(100);
    }
  });
});
