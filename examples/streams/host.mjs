// Streams and waits on a guest, from the host:
//   roc lab up -t examples/streams/roc.yml
//   ROC_TOPOLOGY=examples/streams/roc.yml node examples/streams/host.mjs
//   roc lab down -t examples/streams/roc.yml
import { guest, Wait, WaitTimeoutError } from 'roc-toolkit';

const app = guest('app1');
const log = '/tmp/roc-streams/app.log';

// A remote generator: for await pulls it in batches, one call per 256 items.
const numbers = await app.module.Numbers();
let sum = 0;
for await (const n of await numbers.upTo(100_000)) sum += n;
console.log(`sum of 0..99,999 from app1: ${sum}`);

// A command's output as it comes, then its exit code.
for await (const chunk of await app.lib.command.stream('sh', ['-c', 'echo one; echo two >&2; exit 3']))
  console.log(
    chunk.stream === 'exit' ? `exit code ${chunk.exitCode}` : `${chunk.stream}: ${JSON.stringify(chunk.data)}`,
  );

// Follow a log on the guest (tail -F): the lines written once follow() has resolved.
await app.lib.files.mkdir('/tmp/roc-streams');
await app.lib.files.write(log, 'starting\n');
const lines = await app.lib.files.follow(log);
const writer = app.lib.command.shell('for i in 1 2 3; do echo "request $i"; done >> /tmp/roc-streams/app.log');
let seen = 0;
for await (const line of lines) {
  console.log(`followed: ${line}`);
  if (++seen === 3) break; // ends the follower on the guest
}
await writer;

// A wait the guest runs itself: one call, however long it takes.
await app.lib.command.shell('(sleep 1; echo "listening on 8080" >> /tmp/roc-streams/app.log) > /dev/null 2>&1 &');
const ready = await app.waitFor(Wait.logLine(log, /listening on \d+/), { timeout: '10s' });
console.log(`ready after ${ready.ms} ms: ${ready.observed.join('; ')}`);

// And one that times out, saying what each condition saw last.
try {
  await app.waitFor(Wait.all(Wait.port(8080), Wait.logLine(log, /healthy/, { process: 'kv-node' })), {
    timeout: '2s',
  });
} catch (err) {
  if (!(err instanceof WaitTimeoutError)) throw err;
  console.log(err.message);
}
app.close();
