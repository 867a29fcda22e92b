// Served by each guest's agent: controls the key-value node on that guest.
// The host reaches it as guest('kv1').module.KvNode(...), or from FitNesse
// through the fixtures in ../fixtures.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

// In the lab the checkout is right there; on a Vagrant guest it is the synced folder.
const NODE_SCRIPT = [
  process.env.ROC_KV_NODE,
  fileURLToPath(new URL('../kvstore/kv-node.js', import.meta.url)),
  '/vagrant/examples/cluster/kvstore/kv-node.js',
].find((p) => p && existsSync(p));

// Each node's output goes to a log of its own, which the topology lists (logs:)
// so that a failed test's report shows its last lines.
const LOG_DIR = process.env.ROC_KV_LOG_DIR ?? '/tmp/roc-kv';

function request(url, method = 'GET', body = undefined) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'Content-Type': 'application/json' }, timeout: 3000 }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const running = new Map(); // name -> child process, shared by every KvNode of this agent
const logged = new Set(); // nodes whose log this agent started afresh: a run's log holds that run's lines
// The nodes go when the agent goes (it exits on SIGTERM after closing).
process.on('exit', () => {
  for (const child of running.values()) child.kill('SIGTERM');
});

export class KvNode {
  constructor(name, host, port = 8080) {
    this.name = name;
    this.host = host;
    this.port = Number(port);
  }

  url() {
    return `http://${this.host}:${this.port}`;
  }

  /** Starts the node (primary or replica) and resolves once it answers. */
  async start(role, primary = '', replicas = []) {
    if (!NODE_SCRIPT) throw new Error('kv-node.js not found on this guest: set ROC_KV_NODE to its path');
    if (this.isRunning()) throw new Error(`${this.name} is already running`);
    const args = [NODE_SCRIPT, '--name', this.name, '--host', this.host, '--port', String(this.port), '--role', role];
    if (primary) args.push('--primary', primary);
    if (replicas.length) args.push('--replicas', replicas.join(','));
    mkdirSync(LOG_DIR, { recursive: true });
    const logFd = openSync(`${LOG_DIR}/${this.name}.log`, logged.has(this.name) ? 'a' : 'w');
    logged.add(this.name);
    let child;
    try {
      child = spawn(process.execPath, args, { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    running.set(this.name, child);
    child.once('exit', () => running.get(this.name) === child && running.delete(this.name));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        return (await request(`${this.url()}/status`)).body;
      } catch (err) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`${this.name} did not come up on ${this.url()}: ${err.message}`, { cause: err });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  isRunning() {
    return running.has(this.name);
  }

  async stop() {
    const child = running.get(this.name);
    if (!child) return false;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    return true;
  }

  async status() {
    return (await request(`${this.url()}/status`)).body;
  }

  async put(key, value) {
    const r = await request(`${this.url()}/kv/${encodeURIComponent(key)}`, 'PUT', { value });
    if (r.status !== 200) throw new Error(r.body.error);
    return r.body.seq;
  }

  /** The value, or null when this node has no such key. */
  async get(key) {
    const r = await request(`${this.url()}/kv/${encodeURIComponent(key)}`);
    return r.status === 200 ? r.body.value : null;
  }

  async promote(replicas = []) {
    return (await request(`${this.url()}/promote`, 'POST', { replicas })).body;
  }

  async follow(primary) {
    return (await request(`${this.url()}/follow`, 'POST', { primary })).body;
  }

  async partition() {
    return (await request(`${this.url()}/partition`, 'POST', {})).body;
  }

  async heal() {
    return (await request(`${this.url()}/heal`, 'POST', {})).body;
  }
}
