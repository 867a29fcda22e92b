// The floor of a call: the leanest keep-alive client node:http allows (one
// socket, the request options built once), posting the same XML-RPC body ROC
// sends to a server that answers fixed bytes (bench/echo_server.mjs). The
// timed bench and the instruction counts use this one client.
import http from 'node:http';

/** A client of one floor server at 127.0.0.1:port; `call()` posts `payload` and resolves with the answer's bytes. */
export function floorClient(port, payload) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = Buffer.from(payload);
  const options = {
    host: '127.0.0.1',
    port,
    method: 'POST',
    agent,
    headers: { 'Content-Type': 'text/xml', 'Content-Length': body.length },
  };
  const call = () =>
    new Promise((resolve, reject) => {
      const req = http.request(options, (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}
