// The floor under any request/answer protocol: a process that writes back
// a fixed answer for every chunk it reads on a TCP connection, with no HTTP.
// Fan-out to ten of these shows what ten processes on this machine's cores
// cost before any HTTP or XML-RPC work is done.
import { readFileSync } from 'node:fs';
import net from 'node:net';

const response = readFileSync(process.argv[2]);
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', () => socket.write(response));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
