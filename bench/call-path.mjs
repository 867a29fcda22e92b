// One client process of the instruction counts (bench/run.mjs --instructions):
// `warmup` calls, then `n` more, one after another, then it exits. Run under
// callgrind twice, with n = 0 and n = N, the difference is what N calls cost.
//   node bench/call-path.mjs roc|floor <port> small|medium <warmup> <n>
import { remoteModule, serverProxy } from 'roc-toolkit';
import { encodeCall } from '../dist/src/wire/index.js';
import { floorClient } from './floor.mjs';
import { PAYLOADS } from './payloads.mjs';

const [side, port, size, warmup, n] = process.argv.slice(2);
const value = PAYLOADS[size];
if (value === undefined || !['roc', 'floor'].includes(side)) {
  console.error('usage: call-path.mjs roc|floor <port> small|medium <warmup> <n>');
  process.exit(2);
}
let call;
let close;
if (side === 'roc') {
  const proxy = serverProxy('127.0.0.1', Number(port));
  const inst = await remoteModule(proxy).RemoteClass(1, 2, 3);
  call = () => inst.echo(value);
  close = () => proxy.close();
} else {
  ({ call, close } = floorClient(Number(port), encodeCall('RemoteClass_x.echo', [value])));
}
for (let i = 0; i < Number(warmup) + Number(n); i++) await call();
close();
