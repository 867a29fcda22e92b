// The floor of the benchmarks: a bare node:http keep-alive server that
// answers every POST with the same bytes, in its own process as the agent is.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const response = readFileSync(process.argv[2]);
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': response.length });
    res.end(response);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
