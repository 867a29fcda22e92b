import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning, labDown, labIdOf, labUp, readLabState } from '../../src/lab/index.js';
import { labTokenFile, loadTopology, serverProxy } from '../../src/index.js';
import { writeTokenFile } from '../../src/protocol/index.js';
import { example, rejection } from '../helpers.js';

const why =
  process.getuid?.() !== 0
    ? 'needs root (network namespaces)'
    : spawnSync('ip', ['-V']).status !== 0
      ? 'needs iproute2 (ip)'
      : spawnSync('unshare', ['--version']).status !== 0
        ? 'needs unshare (util-linux)'
        : false;
if (why) console.log(`# SKIP lab --netns: ${why}`);

// 198.18.0.0/15 is set aside for network tests (RFC 2544): these addresses
// exist only on the bridge and in the namespaces this test makes.
test(
  'lab --netns: each guest in its own namespace with its topology address; down leaves nothing',
  { skip: why },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-netns-'));
    writeTokenFile(join(dir, '.roc', 'token'));
    const file = join(dir, 'roc.yml');
    writeFileSync(
      file,
      [
        'defaults: { port: 7007, token_file: .roc/token, timeout: 10s }',
        'guests:',
        `  web1: { host: 198.18.56.11, roles: [web], modules: [${example('remote_class.js')}] }`,
        `  web2: { host: 198.18.56.12, roles: [web], modules: [${example('remote_class.js')}] }`,
        '  db1:  { host: 198.18.56.13, roles: [db] }',
        '',
      ].join('\n'),
    );
    const labId = labIdOf(file);
    let pids: number[];
    try {
      await labUp({ topology: file, netns: true });
      pids = readLabState(file)!.guests.map((g) => g.pid);
      const topology = loadTopology(file);
      const hostnames = await topology.guests().lib.system.hostname();
      assert.deepEqual(hostnames.byGuest, { web1: 'web1', web2: 'web2', db1: 'db1' });
      // Guests reach each other across the bridge, as on a Vagrant private network.
      const reach = await topology.guests('web*').lib.network.canConnect('198.18.56.13', 7007);
      assert.deepEqual(
        reach.values.map((r: { ok: boolean }) => r.ok),
        [true, true],
      );
      const listening = await topology.guest('db1').lib.network.listening();
      assert.deepEqual(
        listening.map((s) => `${s.address}:${s.port}`),
        ['198.18.56.13:7007'],
        'db1 sees only its own namespace',
      );
      const inst = await topology.guest('web2').module.RemoteClass!(1, 2, 3);
      assert.equal(await inst.add(40, 2), 42);
      topology.close();
    } finally {
      await labDown({ topology: file });
    }
    for (const pid of pids) assert.equal(isRunning(pid), false, `pid ${pid} still runs`);
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.doesNotMatch(namespaces, new RegExp(`roc-${labId}-`));
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.doesNotMatch(links, new RegExp(`rb-${labId}|rv${labId}`));
  },
);

test(
  'lab --netns with no token in the topology: the lab makes one (0600), its root agents require it, the host uses it',
  { skip: why },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-netns-token-'));
    const file = join(dir, 'roc.yml');
    writeFileSync(
      file,
      ['defaults: { port: 7007, timeout: 10s }', 'guests:', '  t1: { host: 198.18.56.21 }', ''].join('\n'),
    );
    const lines: string[] = [];
    try {
      await labUp({ topology: file, netns: true, log: (l) => lines.push(l) });
      const token = labTokenFile(file);
      assert.ok(
        lines.some((l) => l.includes(`made a token for the lab's agents: ${token}`)),
        lines.join('\n'),
      );
      assert.equal(statSync(token).mode & 0o777, 0o600);
      // Without the token: refused, though the bridge makes the address reachable from the host.
      const bare = serverProxy('198.18.56.21', 7007, { timeout: 5_000 });
      const refused = await rejection(bare.ping());
      assert.match(refused.message, /HTTP 401/);
      bare.close();
      // Through the topology: the host finds the lab's token.
      const topology = loadTopology(file);
      assert.equal(topology.specs.get('t1')!.tokenFile, token);
      assert.ok((await topology.guest('t1').ping()).version);
      topology.close();
    } finally {
      await labDown({ topology: file });
    }
  },
);
