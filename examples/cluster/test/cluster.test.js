// The cluster suite again, from node's test runner, with the same fixtures
// the FitNesse pages use: for machines without Java (npm start falls back to it).
// Needs a running lab of the cluster's guests: ROC_TOPOLOGY=examples/cluster/roc.yml.
import { test, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { nemesis, withGuestLogs } from 'roc-toolkit';
import { PortCheck } from 'roc-toolkit/fixtures';
import { ClusterStatus, KvCluster, Replication } from '../fixtures/kv_fixtures.js';

// withGuestLogs: a test that fails carries each guest's last log lines (its agent's, and the
// node's log the topology lists) in its error, so the report shows what the cluster did.

// roc demo --netns sets this: the guests have networks of their own, and the faults are real.
const realFaults = process.env.ROC_CLUSTER_FAULTS === 'nemesis';

const cluster = new KvCluster();
beforeEach(() => cluster.startCluster());
after(async () => {
  await cluster.stopCluster();
  await nemesis.heal();
});

const status = async () => Object.fromEntries((await new ClusterStatus().query()).map((r) => [r.node, r]));

test(
  'Replication: a write to the primary reaches both replicas',
  withGuestLogs(async () => {
    for (const [key, value] of [
      ['color', 'red'],
      ['city', 'Köln'],
      ['color', 'blue'],
    ]) {
      const row = new Replication();
      row.setKey(key);
      row.setValue(value);
      row.setWriteTo('kv1');
      await row.execute();
      assert.deepEqual([await row.kv1(), await row.kv2(), await row.kv3()], [value, value, value]);
    }
    assert.equal(await cluster.writeIsRefused('color', 'green', 'kv2'), true);
    assert.equal(await cluster.read('color', 'kv2'), 'blue');
    const s = await status();
    assert.deepEqual([s.kv1.role, s.kv2.role, s.kv3.role, s.kv1.keys], ['primary', 'replica', 'replica', 2]);
  }),
);

test(
  'Failover: kv2 takes over when the primary stops',
  withGuestLogs(async () => {
    await cluster.write('color', 'red', 'kv1');
    assert.equal(await cluster.converge('color', 'red', 'kv3', 5), 'red');
    await cluster.stopNode('kv1');
    await cluster.promote('kv2');
    assert.equal(await cluster.roleOf('kv2'), 'primary');
    await cluster.write('color', 'green', 'kv2');
    assert.equal(await cluster.converge('color', 'green', 'kv3', 5), 'green');
    const s = await status();
    assert.deepEqual([s.kv1.running, s.kv2.role, s.kv3.role], ['no', 'primary', 'replica']);
    const ports = new PortCheck();
    ports.setGuest('kv1');
    ports.setPort('8080');
    assert.equal(await ports.listening(), false);
  }),
);

test(
  'Recovery: a partitioned replica catches up when healed, a stopped one when started',
  withGuestLogs(async () => {
    // A real partition where the guests have networks of their own; else the application's own.
    const cut = realFaults
      ? await nemesis.partition([['kv3'], ['kv1', 'kv2']], { ttl: '2m' })
      : await cluster.partition('kv3');
    await cluster.write('color', 'purple', 'kv1');
    assert.equal(await cluster.converge('color', 'purple', 'kv2', 5), 'purple');
    assert.equal(await cluster.read('color', 'kv3'), 'missing');
    if (realFaults) await cut.heal();
    else await cluster.heal('kv3');
    assert.equal(await cluster.converge('color', 'purple', 'kv3', 10), 'purple');
    await cluster.stopNode('kv2');
    await cluster.write('size', 'large', 'kv1');
    await cluster.startReplicaOf('kv2', 'kv1');
    assert.equal(await cluster.converge('size', 'large', 'kv2', 5), 'large');
  }),
);

test(
  'Failover under a real partition: kv2 takes over, the cut-off primary catches up when healed',
  { skip: !realFaults && 'needs guests with their own networks (roc demo --netns)' },
  withGuestLogs(async () => {
    await cluster.write('color', 'red', 'kv1');
    assert.equal(await cluster.converge('color', 'red', 'kv3', 5), 'red');
    const cut = await nemesis.isolate('kv1', { ttl: '2m' });
    try {
      await cluster.promote('kv2');
      await cluster.write('color', 'green', 'kv2');
      assert.equal(await cluster.converge('color', 'green', 'kv3', 5), 'green');
      assert.equal(await cluster.read('color', 'kv1'), 'red');
    } finally {
      await cut.heal();
    }
    assert.equal(await cluster.converge('color', 'green', 'kv1', 10), 'green');
  }),
);
