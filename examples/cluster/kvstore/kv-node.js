#!/usr/bin/env node
// One node of a tiny replicated key-value store: the system under test of
// the cluster example. A primary takes writes and pushes each one, with a
// sequence number, to its replicas; a replica serves reads, refuses writes,
// and catches up from the primary's snapshot when it (re)starts, when it
// sees a gap, and every half second, so it recovers by itself once a real
// network partition heals.
//
//   node kv-node.js --name kv1 --host 127.0.1.31 --port 8080 --role primary --replicas http://127.0.1.32:8080,...
//   node kv-node.js --name kv2 --host 127.0.1.32 --port 8080 --role replica --primary http://127.0.1.31:8080
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    name: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    role: { type: 'string', default: 'primary' },
    primary: { type: 'string', default: '' },
    replicas: { type: 'string', default: '' },
  },
});

const state = {
  name: opt.name ?? `${opt.host}:${opt.port}`,
  role: opt.role,
  primary: opt.primary,
  replicas: opt.replicas ? opt.replicas.split(',') : [],
  partitioned: false,
  seq: 0,
  data: new Map(),
};

// What happened, one line each, for the guest's log (kv_control sends stdout there): a failed test shows its last lines.
const log = (line) => console.log(`${new Date().toISOString()} ${state.name} ${line}`);

function send(url, method, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'Content-Type': 'application/json' }, timeout: 2000 }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function replicate(key, value, seq) {
  if (state.partitioned) return;
  await Promise.all(state.replicas.map((r) => send(`${r}/replicate`, 'POST', { key, value, seq }).catch(() => {})));
}

let primaryAway = false;
async function catchUp() {
  if (state.role !== 'replica' || !state.primary || state.partitioned) return;
  try {
    const { body } = await send(`${state.primary}/snapshot`, 'GET');
    if (primaryAway) log(`primary ${state.primary} answers again`);
    primaryAway = false;
    if (body && body.seq >= state.seq) {
      if (body.seq > state.seq) log(`caught up from seq ${state.seq} to ${body.seq}`);
      state.data = new Map(Object.entries(body.data));
      state.seq = body.seq;
    }
  } catch (err) {
    // the primary is away; the next catch-up tries again
    if (!primaryAway) log(`cannot reach primary ${state.primary}: ${err.message}`);
    primaryAway = true;
  }
}

const reply = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

const server = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d));
  req.on('end', async () => {
    const body = text ? JSON.parse(text) : {};
    const url = new URL(req.url, 'http://x');
    const key = decodeURIComponent(url.pathname.replace(/^\/kv\//, ''));
    if (url.pathname === '/status') {
      return reply(res, 200, {
        name: state.name,
        role: state.role,
        primary: state.primary,
        replicas: state.replicas,
        seq: state.seq,
        keys: state.data.size,
        partitioned: state.partitioned,
      });
    }
    if (url.pathname === '/snapshot') return reply(res, 200, { seq: state.seq, data: Object.fromEntries(state.data) });
    if (url.pathname.startsWith('/kv/') && req.method === 'GET') {
      return state.data.has(key)
        ? reply(res, 200, { key, value: state.data.get(key) })
        : reply(res, 404, { error: `no key ${key} on ${state.name}` });
    }
    if (url.pathname.startsWith('/kv/') && req.method === 'PUT') {
      if (state.role !== 'primary')
        return reply(res, 403, { error: `${state.name} is a read-only replica; write to ${state.primary}` });
      state.seq += 1;
      state.data.set(key, body.value);
      log(`write ${key} (seq ${state.seq})`);
      await replicate(key, body.value, state.seq);
      return reply(res, 200, { key, value: body.value, seq: state.seq });
    }
    if (url.pathname === '/replicate' && req.method === 'POST') {
      if (state.partitioned) return reply(res, 503, { error: `${state.name} is partitioned` });
      if (body.seq === state.seq + 1) {
        state.data.set(body.key, body.value);
        state.seq = body.seq;
      } else if (body.seq > state.seq + 1) {
        log(`missed writes: at seq ${state.seq}, got ${body.seq}`);
        await catchUp(); // a gap: missed writes
      }
      return reply(res, 200, { seq: state.seq });
    }
    if (url.pathname === '/promote' && req.method === 'POST') {
      state.role = 'primary';
      state.primary = '';
      state.replicas = body.replicas ?? [];
      log(`promoted to primary (replicas: ${state.replicas.join(', ') || 'none'})`);
      return reply(res, 200, { role: state.role });
    }
    if (url.pathname === '/follow' && req.method === 'POST') {
      state.role = 'replica';
      state.primary = body.primary;
      state.replicas = [];
      log(`now follows ${state.primary}`);
      await catchUp();
      return reply(res, 200, { primary: state.primary });
    }
    if (url.pathname === '/partition' && req.method === 'POST') {
      state.partitioned = true;
      log('partitioned (simulated)');
      return reply(res, 200, { partitioned: true });
    }
    if (url.pathname === '/heal' && req.method === 'POST') {
      state.partitioned = false;
      log('healed (simulated)');
      await catchUp();
      return reply(res, 200, { partitioned: false, seq: state.seq });
    }
    reply(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  });
});

// Anti-entropy: a replica asks its primary for what it missed, one request at a time.
let catchingUp = false;
setInterval(() => {
  if (catchingUp) return;
  catchingUp = true;
  void catchUp().finally(() => (catchingUp = false));
}, 500).unref();

server.listen(Number(opt.port), opt.host, async () => {
  log(`${state.role} on http://${opt.host}:${opt.port}/${state.primary ? ` (primary ${state.primary})` : ''}`);
  await catchUp();
});
for (const sig of ['SIGTERM', 'SIGINT'])
  process.on(sig, () => {
    log(`stopping (${sig})`);
    server.close(() => process.exit(0));
  });
