// Served by each guest's agent: runs this guest's etcd member as a daemon of
// the agent (processes.start: listed by processes.started(), its log in a
// failed test's report, stopped with the agent), and clients on the guest
// that record what they saw (Jepsen's history shape), so that a partition
// cuts the clients off with their member, as it would a real application.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

// The agent's own guest library, as the host's guest('n1').lib sees it.
const lib = globalThis[Symbol.for('roc.guestlib')];
if (!lib) throw new Error('etcd_node.js runs in a ROC agent (roc-agent serve -m etcd_node.js)');

const b64 = (s) => Buffer.from(String(s)).toString('base64');
const unb64 = (s) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One etcd v3 gateway call (JSON over HTTP POST); resolves with the answer, rejects with what went wrong. */
function post(url, path, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      `${url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = { error: text };
          }
          if (res.statusCode === 200) resolve(json);
          else reject(Object.assign(new Error(json.error ?? `HTTP ${res.statusCode}`), { status: res.statusCode }));
        });
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * How an error ends an operation, as Jepsen would have it: a refused
 * connection did nothing (fail); a timeout or an error from a member that
 * may have proposed it already may have happened (info). Reads change
 * nothing, so a read that failed either way is a fail.
 */
const outcome = (f, err) => (f === 'read' || err.code === 'ECONNREFUSED' ? 'fail' : 'info');

export class EtcdNode {
  /**
   * @param name this member's name (the guest's)
   * @param peers every member's address by name, this one's included: { n1: '198.18.61.11', ... }
   * @param options preVote (etcd's --pre-vote), electionMs (default 1000), dataDir
   */
  constructor(name, peers, options = {}) {
    if (!peers?.[name]) throw new TypeError(`EtcdNode(${name}, peers): peers must name ${name}'s address`);
    this.name = name;
    this.peers = peers;
    this.address = peers[name];
    this.preVote = Boolean(options.preVote);
    this.electionMs = Number(options.electionMs ?? 1000);
    // Lab guests share one filesystem: a folder per member.
    this.dataDir = options.dataDir ?? `/var/tmp/roc-etcd/${name}`;
    this.pid = null;
    this.log = null;
    this.clients = null;
  }

  url() {
    return `http://${this.address}:2379`;
  }

  /** Starts the member (`fresh`: its data removed first) and resolves once it listens; a restart keeps its data. */
  async start(fresh = false) {
    if (this.pid && (await lib.processes.alive(this.pid)))
      throw new Error(`etcd ${this.name} runs already (pid ${this.pid}); stop() it first`);
    if (fresh) rmSync(this.dataDir, { recursive: true, force: true });
    const rejoin = existsSync(`${this.dataDir}/member`);
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const peerUrl = (a) => `http://${a}:2380`;
    const args = [
      ['--name', this.name],
      ['--data-dir', this.dataDir],
      ['--listen-client-urls', this.url()],
      ['--advertise-client-urls', this.url()],
      ['--listen-peer-urls', peerUrl(this.address)],
      ['--initial-advertise-peer-urls', peerUrl(this.address)],
      [
        '--initial-cluster',
        Object.entries(this.peers)
          .map(([n, a]) => `${n}=${peerUrl(a)}`)
          .join(','),
      ],
      ['--initial-cluster-state', rejoin ? 'existing' : 'new'],
      ['--initial-cluster-token', 'roc-etcd'],
      ['--heartbeat-interval', String(Math.max(10, Math.round(this.electionMs / 10)))],
      ['--election-timeout', String(this.electionMs)],
    ].flat();
    if (this.preVote) args.push('--pre-vote');
    const daemon = await lib.processes.start({ command: 'etcd', args, log: this.log ?? undefined }).catch((err) => {
      throw /no such program/.test(err.message)
        ? new Error(
            `etcd is not installed on ${this.name}: apt-get install --no-install-recommends etcd-server (a Vagrant guest: packages: [etcd-server] in its topology)`,
            { cause: err },
          )
        : err;
    });
    this.pid = daemon.pid;
    this.log = daemon.log;
    // Its own address: a distribution's etcd service may listen on 127.0.0.1:2379 beside it.
    await lib.wait.until({ kind: 'port', port: 2379, host: this.address }, 20_000);
    return { pid: this.pid, log: this.log, rejoined: rejoin };
  }

  /** Stops the member: SIGTERM, SIGKILL after the grace. */
  async stop(graceMs = 10_000) {
    if (!this.pid) return null;
    return lib.processes.stop(this.pid, { graceMs });
  }

  async running() {
    return this.pid !== null && lib.processes.alive(this.pid);
  }

  /** This member's view: its id, the leader it knows, the raft term and index. Rejects when it does not answer. */
  async status(timeoutMs = 1_000) {
    const s = await post(this.url(), '/v3/maintenance/status', {}, timeoutMs);
    return {
      name: this.name,
      member: s.header.member_id,
      leader: s.leader,
      isLeader: s.leader === s.header.member_id,
      term: Number(s.raftTerm ?? s.header.raft_term),
      index: Number(s.raftIndex),
    };
  }

  /** The members by id, as this member lists them: { id: name }. */
  async members(timeoutMs = 2_000) {
    const r = await post(this.url(), '/v3/cluster/member/list', {}, timeoutMs);
    return Object.fromEntries(r.members.map((m) => [m.ID, m.name]));
  }

  /** The name of the leader this member follows, or null when it knows none (or does not answer). */
  async leader(timeoutMs = 1_000) {
    try {
      const s = await this.status(timeoutMs);
      if (!s.leader || s.leader === '0') return null;
      return (await this.members(timeoutMs))[s.leader] ?? null;
    } catch {
      return null;
    }
  }

  async put(key, value, timeoutMs = 2_000) {
    await post(this.url(), '/v3/kv/put', { key: b64(key), value: b64(value) }, timeoutMs);
    return true;
  }

  /** A linearizable read (through the leader); null when the key is absent. */
  async get(key, timeoutMs = 2_000) {
    const r = await post(this.url(), '/v3/kv/range', { key: b64(key) }, timeoutMs);
    return r.kvs?.length ? unb64(r.kvs[0].value) : null;
  }

  /** The raft index this member has applied: after heal, a member has caught up when it reaches the others'. */
  async appliedIndex(timeoutMs = 1_000) {
    return (await this.status(timeoutMs)).index;
  }

  /**
   * Starts the clients on this guest against this member: `registers`
   * processes doing reads, writes and compare-and-sets on keys r0..r(keys-1)
   * (a history for the linearizability checker, model kv), and one process
   * adding unique elements to a set and reading it whole (a history for the
   * set checker: no acknowledged write lost). `t0` is the host's epoch ms
   * at the start: event times are ns since then, on every guest alike.
   */
  startClients(t0, firstProcess, options = {}) {
    if (this.clients) throw new Error(`the clients on ${this.name} run already; stopClients() first`);
    const keys = Number(options.keys ?? 3);
    const registers = Number(options.registers ?? 2);
    const opTimeoutMs = Number(options.opTimeoutMs ?? 1_500);
    const thinkMs = Number(options.thinkMs ?? 10);
    const now = () => Math.round((performance.timeOrigin + performance.now() - t0) * 1e6);
    const state = { stop: false, register: [], set: [] };
    const record = (events, process, f, value, run) => {
      events.push({ process, type: 'invoke', f, value, time: now() });
      return run().then(
        (out) => {
          if (out && out.failed) events.push({ process, type: 'fail', f, value, time: now() });
          else events.push({ process, type: 'ok', f, value: out ? out.value : value, time: now() });
        },
        (err) =>
          events.push({ process, type: outcome(f, err), f, value, time: now(), error: err.message.slice(0, 200) }),
      );
    };
    const registerClient = async (process) => {
      for (let i = 0; !state.stop; i++) {
        const key = `r${Math.floor(Math.random() * keys)}`;
        const pick = Math.random();
        if (pick < 0.4) {
          await record(state.register, process, 'read', [key, null], async () => {
            const v = await this.get(key, opTimeoutMs);
            return { value: [key, v === null ? null : Number(v)] };
          });
        } else if (pick < 0.8) {
          const v = Math.floor(Math.random() * 5);
          await record(state.register, process, 'write', [key, v], () =>
            this.put(key, v, opTimeoutMs).then(() => null),
          );
        } else {
          const from = Math.floor(Math.random() * 5);
          const to = Math.floor(Math.random() * 5);
          await record(state.register, process, 'cas', [key, [from, to]], async () => {
            const r = await post(
              this.url(),
              '/v3/kv/txn',
              {
                compare: [{ key: b64(key), target: 'VALUE', result: 'EQUAL', value: b64(from) }],
                success: [{ requestPut: { key: b64(key), value: b64(to) } }],
              },
              opTimeoutMs,
            );
            return r.succeeded ? null : { failed: true };
          });
        }
        if (thinkMs) await sleep(thinkMs);
      }
    };
    const setClient = async (process) => {
      for (let i = 0; !state.stop; i++) {
        const element = `${this.name}-${i}`;
        await record(state.set, process, 'add', element, () =>
          this.put(`/set/${element}`, '1', opTimeoutMs).then(() => null),
        );
        if (i % 10 === 9) await record(state.set, process, 'read', null, () => this.readSet(opTimeoutMs));
        if (thinkMs) await sleep(thinkMs);
      }
    };
    const loops = [];
    for (let i = 0; i < registers; i++) loops.push(registerClient(firstProcess + i));
    loops.push(setClient(firstProcess + registers));
    this.clients = { state, loops, setProcess: firstProcess + registers, now };
    return { processes: registers + 1 };
  }

  async readSet(timeoutMs = 2_000) {
    const r = await post(this.url(), '/v3/kv/range', { key: b64('/set/'), range_end: b64('/set0') }, timeoutMs);
    return { value: (r.kvs ?? []).map((kv) => unb64(kv.key).slice('/set/'.length)).sort() };
  }

  /**
   * Stops the clients (each finishes the operation it has under way) and
   * answers what they saw: { register: events, set: events }. `finalRead`:
   * one last read of the whole set (after heal: what the cluster kept).
   */
  async stopClients(finalRead = true) {
    if (!this.clients) throw new Error(`no clients run on ${this.name}: startClients() first`);
    const { state, loops, setProcess, now } = this.clients;
    state.stop = true;
    await Promise.all(loops);
    if (finalRead) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const invoked = now();
        try {
          const r = await this.readSet(2_000);
          state.set.push({ process: setProcess, type: 'invoke', f: 'read', value: null, time: invoked });
          state.set.push({ process: setProcess, type: 'ok', f: 'read', value: r.value, time: now() });
          break;
        } catch {
          await sleep(250); // the member is still catching up
        }
      }
    }
    this.clients = null;
    return { register: state.register, set: state.set };
  }

  /** Stops the clients and the member when the agent frees this object (release, lease lapse, agent stop). */
  async [Symbol.asyncDispose]() {
    if (this.clients) this.clients.state.stop = true;
    if (this.pid && (await lib.processes.alive(this.pid))) await lib.processes.stop(this.pid, { graceMs: 5_000 });
  }
}
