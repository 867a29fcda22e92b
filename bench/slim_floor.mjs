// The floor under a SLIM server: a process that sends the SLIM header, then
// answers each whole frame it reads with one fixed answer (that of a batch of
// ten calls), reading no instruction. A SLIM server's batch can be no quicker.
//   node bench/slim_floor.mjs <port>
import net from 'node:net';
import { frame, serialize, SLIM_HEADER } from '../dist/src/slim/index.js';

const answer = frame(serialize(Array.from({ length: 10 }, (_, i) => [`s_${i}`, `hello ${i}`])));
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.write(SLIM_HEADER);
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      const colon = pending.indexOf(0x3a);
      if (colon < 0) return;
      const end = colon + 1 + Number(pending.subarray(0, colon).toString('latin1'));
      if (pending.length < end) return;
      const bye = pending.subarray(colon + 1, end).toString('latin1') === 'bye';
      pending = pending.subarray(end);
      if (bye) {
        socket.end();
        server.close();
        return;
      }
      socket.write(answer);
    }
  });
});
server.listen(Number(process.argv[2]), '127.0.0.1');
