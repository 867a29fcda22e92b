import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { remoteModule, serverProxy } from '../../src/index.js';
import { example, startAgentProcess } from '../helpers.js';

/** Resident memory of a process in MB, from /proc (Linux). */
function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

// The bound on growth after 100,000 create/release cycles. V8 keeps some
// of the heap it grew into; a leak of even 200 bytes a cycle would pass 20 MB.
const MAX_GROWTH_MB = 48;

test('50 concurrent clients x 1,000 calls: zero errors; 100,000 create/release cycles leave no handle behind', async (t) => {
  const agent = await startAgentProcess(['-m', example('remote_class.js'), '-p', '0']);
  try {
    const pid = agent.child.pid!;
    const idle = rssMb(pid);

    const clients = 50;
    const calls = 1_000;
    let errors = 0;
    let wrong = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const proxy = serverProxy('127.0.0.1', agent.port, { timeout: 60_000 });
        const inst = await remoteModule(proxy).RemoteClass!(c, 0, 0);
        for (let i = 0; i < calls; i++) {
          try {
            if ((await inst.add(c, i)) !== c + i) wrong++;
          } catch {
            errors++;
          }
        }
        proxy.close();
      }),
    );
    const loadSeconds = (Date.now() - started) / 1000;
    const underLoad = rssMb(pid);
    t.diagnostic(
      `load: ${clients} clients x ${calls} calls in ${loadSeconds.toFixed(1)} s (${Math.round((clients * calls) / loadSeconds)} calls/s), ${errors} errors, ${wrong} wrong answers`,
    );
    assert.equal(errors, 0);
    assert.equal(wrong, 0);

    const cycles = 100_000;
    const workers = 10;
    const cycleStart = Date.now();
    const proxy = serverProxy('127.0.0.1', agent.port, { timeout: 60_000 });
    const before = rssMb(pid);
    // Each worker makes its own connection: create, then release, one cycle at a time.
    await Promise.all(
      Array.from({ length: workers }, async () => {
        const p = serverProxy('127.0.0.1', agent.port, { timeout: 60_000 });
        for (let i = 0; i < cycles / workers; i++) {
          const handle = await p.create('Point', [i, i]);
          assert.equal(await p.releaseHandle(handle), true);
        }
        p.close();
      }),
    );
    const cycleSeconds = (Date.now() - cycleStart) / 1000;
    const info = await proxy.ping();
    // Besides Points, only the load phase's RemoteClass objects may be live
    // (fewer once their dropped proxies are collected and released).
    const live = (await proxy.instances()).filter((h) => h.startsWith('Point_'));
    const after = rssMb(pid);
    t.diagnostic(
      `handles: ${cycles} create/release cycles in ${cycleSeconds.toFixed(1)} s (${Math.round(cycles / cycleSeconds)} cycles/s); Point handles left: ${live.length}`,
    );
    t.diagnostic(
      `agent RSS: idle ${idle?.toFixed(1)} MB, under 50-client load ${underLoad?.toFixed(1)} MB, before cycles ${before?.toFixed(1)} MB, after cycles ${after?.toFixed(1)} MB (bound: growth <= ${MAX_GROWTH_MB} MB)`,
    );
    assert.equal(live.length, 0);
    assert.ok(info.handles <= clients, `${info.handles} live handles`);
    if (before !== undefined && after !== undefined)
      assert.ok(after - before <= MAX_GROWTH_MB, `RSS grew ${(after - before).toFixed(1)} MB`);
    proxy.close();
  } finally {
    agent.child.kill('SIGKILL');
    await agent.exited;
  }
});
