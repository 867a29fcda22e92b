// The floor of the benchmarks: a bare node:http keep-alive server that
// answers every POST with the same bytes, in its own process as the agent is.
// It reads the request body as any server must, and nothing else.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const response = readFileSync(process.argv[2]);
const headers = { 'Content-Type': 'text/xml', 'Content-Length': response.length };
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(response);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
// A clean exit on SIGTERM, so a profiler running it (valgrind) writes its counts.
process.once('SIGTERM', () => process.exit(0));
