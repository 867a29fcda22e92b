// The etcd suite from node's test runner, with the same fixtures as the FitNesse
// pages. Needs the lab up: roc lab up --netns -t examples/etcd/roc.yml (root),
// with ROC_TOPOLOGY=examples/etcd/roc.yml; roc demo --example etcd does it all.
// ROC_ETCD_PRE_VOTE=true runs etcd with --pre-vote.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { nemesis, withGuestLogs } from 'roc-toolkit';
import { check, checkSet, models, writeReport } from 'roc-toolkit/history';
import { historyNamed } from 'roc-toolkit/fixtures';
import { EtcdCluster, EtcdMembers, timings } from '../fixtures/etcd_fixtures.js';

const preVote = process.env.ROC_ETCD_PRE_VOTE === 'true';
const cluster = new EtcdCluster();
let first;

before(async () => {
  first = await cluster.startClusterWithPreVote(preVote);
  await cluster.startClients();
});
after(async () => {
  await nemesis.heal();
  await cluster.stopCluster();
  for (const t of timings) console.log(`timing: ${t.what}${t.preVote ? ' (--pre-vote)' : ''}: ${t.ms} ms`);
});

test(
  'the cluster forms: every member runs and follows one leader',
  withGuestLogs(async () => {
    const rows = await new EtcdMembers().query();
    assert.deepEqual(
      rows.map((r) => [r.name, r.running, r.leader]),
      rows.map((r) => [r.name, 'yes', first]),
    );
  }),
);

test(
  'isolating the leader: a new leader on the majority, the old one steps down; writes fail on it and succeed on the majority; after heal it catches up',
  withGuestLogs(async () => {
    const old = await cluster.isolateLeader();
    const next = await cluster.newLeaderWithin(10);
    assert.notEqual(next, old);
    assert.equal(await cluster.stepsDownWithin(old, 15), true);
    assert.equal(await cluster.writeOn('isolation', 'majority', next, 3), 'ok');
    assert.notEqual(await cluster.writeOn('isolation', 'minority', old, 2), 'ok');
    await cluster.healAndCatchUpWithin(20);
    assert.equal(await cluster.readOn('isolation', old), 'majority', 'the old leader has the write it missed');
  }),
);

test(
  'a majority/minority partition: the minority cannot write, the majority can',
  withGuestLogs(async () => {
    const leader = await cluster.leader();
    const follower = await cluster.follower();
    await cluster.partitionMinority(follower);
    assert.equal(await cluster.writeOn('split', 'majority', leader, 3), 'ok');
    assert.notEqual(await cluster.writeOn('split', 'minority', follower, 2), 'ok');
    await cluster.healAndCatchUpWithin(20);
    // The minority's write timed out: it may or may not take effect. etcd 3.4 does apply it at
    // times, once the partition heals (the follower had forwarded it). Either way, all agree.
    const value = await cluster.readOn('split', leader);
    assert.ok(['majority', 'minority'].includes(value), value);
    assert.equal(await cluster.readOn('split', follower), value);
  }),
);

test(
  'pausing the leader: the others elect a new one; resumed, it follows',
  withGuestLogs(async () => {
    const old = await cluster.pauseLeader();
    const next = await cluster.newLeaderWithin(10);
    assert.notEqual(next, old);
    await cluster.healAndCatchUpWithin(20);
    assert.equal(await cluster.leaderSeenBy(old), next);
  }),
);

test(
  'killing a member and restarting it with its data: it rejoins and catches up',
  withGuestLogs(async () => {
    const leader = await cluster.leader();
    const victim = await cluster.follower();
    assert.equal(await cluster.killMember(victim), true);
    assert.equal(await cluster.writeOn('killed', 'while-down', leader, 3), 'ok');
    assert.equal(await cluster.restartMember(victim), true, 'it restarted with the data it had');
    await cluster.healAndCatchUpWithin(20);
    assert.equal(await cluster.readOn('killed', victim), 'while-down');
  }),
);

test(
  "the clients' histories: linearizable as a key-value store, and no acknowledged add lost",
  withGuestLogs(async () => {
    const ops = await cluster.stopClients();
    assert.ok(ops > 50, `the clients recorded ${ops} operations`);
    const registers = historyNamed('etcd registers');
    const result = await check(registers.events, models.kv(), { timeout: 60_000 });
    const set = checkSet(historyNamed('etcd set').events);
    const dir = process.env.ROC_REPORT_DIR || 'reports';
    const report = writeReport(
      { history: registers, result, title: `etcd${preVote ? ' --pre-vote' : ''}: registers under faults` },
      resolve(dir, 'etcd-report.html'),
    );
    console.log(
      `history: ${result.ops} register operations checked in ${result.ms} ms: ${result.valid}; set: ${set.counts.ok} adds acknowledged, ${set.counts.info} unknown, ${set.counts.reads} reads, ${set.lost.length} lost; report: ${report}`,
    );
    assert.equal(result.valid, true, `not linearizable: ${JSON.stringify(result.op)} (report ${report})`);
    assert.deepEqual(set.lost, [], 'no acknowledged add is lost');
    assert.deepEqual(set.phantom, []);
  }),
);
