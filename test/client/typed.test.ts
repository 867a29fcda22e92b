import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  remoteModule,
  serverProxy,
  type GuestLibrary,
  type OnEveryGuest,
  type Remote,
  type RemoteIterable,
  type StreamChunk,
} from '../../src/index.js';
import { guestLibraryMethods } from '../../src/guestlib/index.js';
import type * as Typed from '../fixtures/typed_module.js';
import { repoRoot, withAgent } from '../helpers.js';

// The assertions that matter most here are the compiler's: this file does
// not build if the types drift from what the runtime does.
test('remoteModule<typeof import(...)> gives typed async proxies', async () => {
  await withAgent({ modules: [join(repoRoot, 'dist/test/fixtures/typed_module.js')] }, async (agent) => {
    const proxy = serverProxy({ host: '127.0.0.1', port: agent.port });
    const M = remoteModule<typeof Typed>(proxy);

    const counter: Remote<Typed.Counter> = await M.Counter(5);
    const total: number = await counter.add(3);
    assert.equal(total, 8);
    assert.equal(await counter.addLater(2, 1), 10);
    const label: string = await counter.label;
    assert.equal(label, 'counter');

    const child = await counter.child();
    assert.equal(await child.label, 'counter/child');
    assert.equal(await counter.merge(child), 10);

    const snap = await counter.snapshot();
    const at: Date = snap.at;
    assert.ok(at instanceof Date);
    const nothing: null = await counter.nothing();
    assert.equal(nothing, null);
    const doubled: number = await M.double(21);
    assert.equal(doubled, 42);

    // An async generator on the agent is a RemoteIterable of its items, as they arrive, on the host.
    const steps: RemoteIterable<{ n: number; at: Date }> = await counter.countUp(12);
    const seen: number[] = [];
    for await (const step of steps) {
      const at: Date = step.at;
      assert.ok(at instanceof Date);
      seen.push(step.n);
    }
    assert.deepEqual(seen, [10, 11, 12]);

    if (false as boolean) {
      // @ts-expect-error wrong argument type
      await counter.add('three');
      // @ts-expect-error constructor parameters are checked
      await M.Counter('five');
      // @ts-expect-error names starting with _ are not reachable
      await counter._hidden();
      // @ts-expect-error private members are not part of the remote type
      await counter.count;
      // @ts-expect-error methods return promises, not values
      const n: number = counter.add(1);
      void n;
      // @ts-expect-error the items keep their type
      const wrong: RemoteIterable<string> = await counter.countUp(3);
      void wrong;
    }
    {
      await using scoped = await M.Counter(1);
      assert.equal(await scoped.add(1), 2);
    }
    proxy.close();
  });
});

test('the guest library host type is derived from the guest modules', () => {
  type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
  const checks: [
    Equal<Awaited<ReturnType<GuestLibrary['files']['stat']>>['mtime'], Date>,
    Equal<Awaited<ReturnType<GuestLibrary['files']['readBytes']>>, Buffer>,
    Equal<Awaited<ReturnType<GuestLibrary['files']['mkdir']>>, null>,
    Equal<Parameters<GuestLibrary['command']['run']>[0], string>,
    Equal<Awaited<ReturnType<GuestLibrary['command']['run']>>['exitCode'], number | null>,
    Equal<
      keyof GuestLibrary,
      'command' | 'faults' | 'files' | 'network' | 'processes' | 'services' | 'system' | 'wait'
    >,
    Equal<Awaited<ReturnType<OnEveryGuest<GuestLibrary>['system']['hostname']>>['values'], string[]>,
    Equal<Awaited<ReturnType<GuestLibrary['files']['follow']>>, RemoteIterable<string>>,
    Equal<Awaited<ReturnType<GuestLibrary['services']['follow']>>, RemoteIterable<string>>,
    Equal<Awaited<ReturnType<GuestLibrary['command']['stream']>>, RemoteIterable<StreamChunk>>,
    Equal<Awaited<ReturnType<GuestLibrary['files']['tail']>>, string[]>,
  ] = [true, true, true, true, true, true, true, true, true, true, true];
  assert.deepEqual(checks, [true, true, true, true, true, true, true, true, true, true, true]);
  // Helpers that are not library methods stay off the wire and out of the type.
  const wire = [...guestLibraryMethods().keys()];
  assert.ok(!wire.some((m) => /parse/.test(m)), wire.join(', '));
  if (false as boolean) {
    const lib = {} as GuestLibrary;
    // @ts-expect-error parseProcAddress is a helper, not a library method
    void lib.network.parseProcAddress;
    // @ts-expect-error arguments are checked against the guest's own signature
    void lib.files.read(42);
  }
});
