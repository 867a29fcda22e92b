import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../src/agent/index.js';
import { loadTopology, Wait, WaitTimeoutError, type Guest, type Topology } from '../../src/index.js';
import { freePort, rejection } from '../helpers.js';

let agent: Agent;
let agent2: Agent;
let topology: Topology;
let web1: Guest;
let dir: string;

before(async () => {
  agent = await Agent.start({ modules: [], port: 0 });
  agent2 = await Agent.start({ modules: [], port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'roc-wait-'));
  // A short call deadline: waits outlast it by design.
  writeFileSync(
    join(dir, 'roc.yml'),
    `guests:\n  web1: { host: 127.0.0.1, port: ${agent.port}, timeout: 1s }\n  web2: { host: 127.0.0.1, port: ${agent2.port}, timeout: 1s }\n`,
  );
  topology = loadTopology(join(dir, 'roc.yml'));
  web1 = topology.guest('web1');
});
after(async () => {
  topology?.close();
  await agent?.close(100);
  await agent2?.close(100);
});

/** Appends a line after ms: something for a wait to wait for. */
function later(file: string, line: string, ms: number): void {
  setTimeout(() => appendFileSync(file, `${line}\n`), ms).unref();
}

async function timeout(p: Promise<unknown>): Promise<WaitTimeoutError> {
  const err = await rejection(p);
  assert.ok(err instanceof WaitTimeoutError, String(err));
  return err;
}

describe('waits that run on the guest', () => {
  test('a log line: one call however long it lasts, longer than the guest’s call deadline', async () => {
    const log = join(dir, 'app.log');
    writeFileSync(log, 'starting\n');
    later(log, 'server ready on 8080', 1_500);
    const before = (await web1.ping()).callsServed;
    const r = await web1.waitFor(Wait.logLine(log, /ready on \d+/), { timeout: '5s' });
    const after = (await web1.ping()).callsServed;
    assert.equal(after - before, 2, 'the wait, and the ping that counts');
    assert.ok(r.ms >= 1_000, `waited ${r.ms} ms`);
    assert.match(
      r.observed[0]!,
      /^log line \/ready on \\d\+\/ in .*app\.log: seen 1 time\(s\); last lines: "starting" "server ready on 8080"$/,
    );
  });

  test('lines already there count by default, `times` counts matches, and from: end counts only new ones', async () => {
    const log = join(dir, 'counted.log');
    writeFileSync(log, 'tick\ntick\n');
    await web1.waitFor(Wait.logLine(log, 'tick', { times: 2 }), { timeout: 2_000 });
    const err = await timeout(web1.waitFor(Wait.logLine(log, 'tick', { from: 'end' }), { timeout: 300 }));
    assert.equal(
      err.message,
      `guest web1 (127.0.0.1:${agent.port}) waited 300 ms in vain for log line /tick/ in ${log}: seen 0 time(s); no lines yet`,
    );
    assert.deepEqual(err.observed, [`log line /tick/ in ${log}: seen 0 time(s); no lines yet`]);
    assert.equal(err.guest, 'web1');
  });

  test('port, file and command: each holds when it should, and says what it saw when it does not', async () => {
    const port = await freePort();
    const server = http.createServer((req, res) =>
      res.writeHead(req.url === '/ok' ? 200 : 503).end(req.url === '/ok' ? 'fine' : 'warming up'),
    );
    setTimeout(() => server.listen(port, '127.0.0.1'), 300).unref();
    await web1.waitFor(Wait.port(port), { timeout: '5s' });
    try {
      await web1.waitFor(Wait.http(`http://127.0.0.1:${port}/ok`, { bodyMatches: /fine/ }), { timeout: '5s' });
      const h = await timeout(web1.waitFor(Wait.http(`http://127.0.0.1:${port}/busy`), { timeout: 300 }));
      assert.match(h.observed[0]!, /^HTTP 200 from http:\/\/127\.0\.0\.1:\d+\/busy: got HTTP 503: "warming up"$/);
    } finally {
      server.close();
    }
    const closed = await freePort();
    const p = await timeout(web1.waitFor(Wait.port(closed, { process: 'no-such-process-xyz' }), { timeout: 300 }));
    assert.equal(p.observed[0], `port ${closed}: nothing listens on it; process no-such-process-xyz is not running`);

    const flag = join(dir, 'flag');
    setTimeout(() => writeFileSync(flag, ''), 200).unref();
    await web1.waitFor(Wait.file(flag), { timeout: '5s' });
    const f = await timeout(web1.waitFor(Wait.file(join(dir, 'never'), { process: 'node' }), { timeout: 300 }));
    assert.match(f.observed[0]!, /^file .*never: does not exist; process node runs \(pid [\d, ]+\)$/);

    await web1.waitFor(Wait.command(`test -e ${flag}`), { timeout: '2s' });
    const c = await timeout(web1.waitFor(Wait.command('echo not yet; exit 4'), { timeout: 300 }));
    assert.equal(c.observed[0], 'command "echo not yet; exit 4" exiting 0: exited 4: "not yet"');
  });

  test('all and any', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, '');
    await web1.waitFor(Wait.any(Wait.file(a), Wait.file(b)), { timeout: 1_000 });
    const err = await timeout(web1.waitFor(Wait.all(Wait.file(a), Wait.file(b)), { timeout: 300 }));
    assert.equal(err.observed[0], `all of 2: file ${a}: exists | file ${b}: does not exist`);
  });

  test('guests(...).waitFor waits on every guest in parallel, with a result per guest', async () => {
    const log = join(dir, 'group.log');
    writeFileSync(log, '');
    later(log, 'up', 300);
    const r = await topology.guests('web*').waitFor(Wait.logLine(log, 'up'), { timeout: '5s' });
    assert.deepEqual(r.succeeded, ['web1', 'web2']);
    const failed = await topology.guests().waitFor(Wait.file(join(dir, 'missing')), { timeout: 200 });
    assert.deepEqual(failed.failed, ['web1', 'web2']);
    assert.ok(failed.outcomes.every((o) => !o.ok && o.error instanceof WaitTimeoutError));
  });

  test('a condition that is not one is refused, saying what is', async () => {
    const err = await rejection(web1.waitFor({ kind: 'nonsense' } as never, { timeout: 100 }));
    assert.match(
      err.message,
      /TypeError: wait\.until: condition must be a Wait condition \(Wait\.logLine, Wait\.port, \.\.\.\), got \{"kind":"nonsense"\}/,
    );
  });
});
