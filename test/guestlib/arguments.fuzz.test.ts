/**
 * The guest library's argument checks, fuzzed: whatever a caller sends as a
 * unit, a pid, a process name, a duration, a pattern or a wait condition,
 * the agent answers (a value or a refusal) within its deadline, keeps
 * answering, and is left holding no fault. Inputs that could touch this
 * machine if accepted (a real process name with SIGSTOP, a real address to
 * block) are never generated: names get SIGCONT only, peers only ill-typed
 * values, so a check that let one through changes nothing here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { serverProxy, type ServerProxy } from '../../src/index.js';
import { startAgentProcess, type AgentProcess } from '../helpers.js';

let agent: AgentProcess;
let proxy: ServerProxy;

before(async () => {
  agent = await startAgentProcess(['-p', '0']);
  proxy = serverProxy('127.0.0.1', agent.port, { timeout: 15_000 });
});
after(async () => {
  proxy.close();
  await agent.stop();
});

/** Only what XML 1.0 can carry: anything else is refused by the client before it is sent. */
const carried = (s: string): string =>
  s
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');

/** Anything XML-RPC carries, small. */
const anything = fc.oneof(
  fc.string().map(carried),
  fc.string({ unit: 'binary', maxLength: 40 }).map(carried),
  fc.constantFrom('', ' ', '-', '--version', '-Hx', '--all', '../../etc/passwd', '\tx\n', 'a'.repeat(5000), '.*'),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string().map(carried), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }).map(carried), fc.oneof(fc.string().map(carried), fc.integer()), {
    maxKeys: 3,
  }),
);

/** Calls the method; a refusal is fine, a hang or a dead agent is not. */
async function survives(method: string, params: unknown[]): Promise<void> {
  await proxy.callWith(method, params as never[]).catch((err: Error) => {
    // A refusal comes back as a fault the client raises; anything else (a timeout, a lost connection) fails the property.
    if (!/on 127\.0\.0\.1:\d+ failed: /.test(err.message)) throw err;
  });
}

const runs = { numRuns: 60 };

test('no unit name, pid or process name makes the agent hang, crash or signal anything it should not', async () => {
  await fc.assert(
    fc.asyncProperty(anything, async (x) => {
      await survives('roc.services.isActive', [x]);
      await survives('roc.services.journal', [x, 3]);
      // A unit only where it is not a valid name: a valid one could be a real unit here.
      if (typeof x !== 'string' || x === '' || x.startsWith('-') || /[^\w@.:\\-]/.test(x))
        await survives('roc.faults.pause', [{ unit: x }, { ttlMs: 1_000 }]);
      // Names with a harmless signal only: a name that did match a process here must not hurt it.
      await survives('roc.faults.kill', [{ process: x }, 'SIGCONT']);
      if (typeof x !== 'number' || !Number.isInteger(x)) await survives('roc.faults.pause', [{ pid: x }]);
      await survives('roc.faults.kill', [{ pid: x, process: x }, 'SIGCONT']);
    }),
    runs,
  );
  assert.deepEqual(await proxy.callWith('roc.faults.status', []), [], 'no fault was made');
  assert.ok((await proxy.ping()).version);
});

test('no duration, signal, peer list or direction makes a fault, a hang or a crash', async () => {
  await fc.assert(
    fc.asyncProperty(anything, anything, async (x, y) => {
      await survives('roc.faults.pause', [{ pid: 4_000_000 }, { ttlMs: x }]);
      await survives('roc.faults.kill', [{ pid: 4_000_000 }, x]);
      // Peers of the wrong type only: a real address would be blocked for real.
      if (typeof x !== 'string' && !(Array.isArray(x) && x.some((p) => typeof p === 'string')))
        await survives('roc.faults.block', [x, { direction: y, ttlMs: 1_000 }]);
      // An offset only of the wrong type: a number would move this machine's clock.
      if (typeof x !== 'number') await survives('roc.faults.clock', [x, { ttlMs: 1_000 }]);
      await survives('roc.faults.heal', [x]);
    }),
    runs,
  );
  await proxy.callWith('roc.faults.heal', []);
  assert.deepEqual(await proxy.callWith('roc.faults.status', []), []);
  assert.ok((await proxy.ping()).version);
});

test('no wait condition, pattern or timeout makes the agent hang or crash', async () => {
  const patterns = fc.oneof(
    fc.string({ maxLength: 20 }).map(carried),
    fc.constantFrom('(a+)+$', '(a|a)*\\1$', '(?<=a)b', '[', '(', '\\', '.*.*.*.*.*=', '(x+x+)+y'),
  );
  await fc.assert(
    fc.asyncProperty(anything, patterns, fc.constantFrom('', 'g', 'i', 'gimsuy', 'zz'), async (x, source, flags) => {
      await survives('roc.wait.until', [x, 50]);
      await survives('roc.wait.until', [{ kind: 'file', path: '/nonexistent/roc-fuzz' }, x]);
      await survives('roc.wait.until', [
        { kind: 'logLine', path: '/etc/hostname', pattern: { source, flags }, from: 'start', times: 1 },
        100,
      ]);
      await survives('roc.wait.until', [{ kind: 'service', unit: x, state: 'active' }, 50]);
      await survives('roc.files.tail', ['/etc/hostname', x]);
    }),
    { numRuns: 40 },
  );
  assert.ok((await proxy.ping()).version);
});
