import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from '../../src/agent/index.js';
import { HttpStatusError, serverProxy } from '../../src/index.js';
import { encodeCall } from '../../src/wire/index.js';
import { example, rejection, repoRoot, startAgentProcess } from '../helpers.js';

const execFileAsync = promisify(execFile);
const TOKEN = 'test-token-0123456789abcdef';
let agent: Agent;

before(async () => {
  agent = await Agent.start({ modules: [example('remote_class.js')], port: 0, token: TOKEN });
});
after(() => agent.close(100));

function rawPost(
  headers: Record<string, string>,
  body = encodeCall('classes', []),
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: agent.port, method: 'POST', path: '/', headers, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('token authentication', () => {
  test('no token: 401 with a short message and nothing about what is served', async () => {
    const r = await rawPost({});
    assert.equal(r.status, 401);
    assert.equal(
      r.body,
      'this agent needs a token: send Authorization: Bearer <token>, or Basic auth with the token as password\n',
    );
    assert.match(String(r.headers['www-authenticate']), /^Basic realm="roc-agent"/);
    const proxy = serverProxy('127.0.0.1', agent.port, { token: '' });
    const err = await rejection(proxy.classes());
    assert.ok(err instanceof HttpStatusError);
    assert.equal(err.status, 401);
    assert.equal(
      err.message,
      `classes on 127.0.0.1:${agent.port} was refused with HTTP 401: this agent needs a token: send Authorization: Bearer <token>, or Basic auth with the token as password; no token was sent: set token_file in the topology, or ROC_TOKEN, or serverProxy's token or tokenFile option`,
    );
    proxy.close();
  });

  test('wrong token over Bearer and Basic: 401 "wrong token"', async () => {
    for (const auth of [
      `Bearer nope`,
      `Basic ${Buffer.from('roc:nope').toString('base64')}`,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
    ]) {
      const r = await rawPost({ Authorization: auth });
      assert.equal(r.status, 401, auth);
      assert.equal(r.body, 'wrong token\n');
      assert.doesNotMatch(r.body, /RemoteClass|Point/);
    }
    const proxy = serverProxy('127.0.0.1', agent.port, { token: 'wrong' });
    const err = await rejection(proxy.classes());
    assert.equal(
      err.message,
      `classes on 127.0.0.1:${agent.port} was refused with HTTP 401: wrong token; the agent refused the token from the token option: it is not the agent's token (roc-agent --token-file; /etc/roc/token on a provisioned guest); give both sides the same token file, and provision the guest again after changing it`,
    );
    proxy.close();
  });

  test('on one kept-alive connection every request is checked: a token proven once does not admit another', async () => {
    // The agent remembers the header a connection proved with, so it need not hash it again;
    // a different header (or none) on that same connection must still be refused.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets: unknown[] = [];
    const post = (headers: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: agent.port, method: 'POST', path: '/', headers, agent: keepAlive },
          (res) => {
            sockets.push(res.socket);
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
        req.end(encodeCall('classes', []));
      });
    try {
      const statuses = [];
      for (const auth of [`Bearer ${TOKEN}`, `Bearer ${TOKEN}x`, undefined, `Bearer ${TOKEN}`, 'Bearer nope'])
        statuses.push(await post(auth === undefined ? {} : { Authorization: auth }));
      assert.deepEqual(statuses, [200, 401, 401, 200, 401]);
      // A refusal closes its connection; each wrong header came on a connection the right one had proven.
      assert.equal(sockets[1], sockets[0]);
      assert.equal(sockets[4], sockets[3]);
    } finally {
      keepAlive.destroy();
    }
  });

  test('unknown schemes and malformed headers are refused', async () => {
    for (const auth of [
      'Digest abc',
      'Bearer',
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      TOKEN,
    ]) {
      assert.equal((await rawPost({ Authorization: auth })).status, 401, auth);
    }
  });

  test('the right token over Bearer (serverProxy) and Basic with any user name (URL form)', async () => {
    const bearer = serverProxy('127.0.0.1', agent.port, { token: TOKEN });
    assert.deepEqual(await bearer.classes(), ['Point', 'RemoteClass']);
    bearer.close();
    const basic = serverProxy(`http://anyone:${TOKEN}@127.0.0.1:${agent.port}/`);
    assert.deepEqual(await basic.classes(), ['Point', 'RemoteClass']);
    basic.close();
    const r = await rawPost({ Authorization: `Basic ${Buffer.from(`whoever:${TOKEN}`).toString('base64')}` });
    assert.equal(r.status, 200);
  });

  test('tokenFile and ROC_TOKEN give the client its token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    const fromFile = serverProxy('127.0.0.1', agent.port, { tokenFile: file });
    assert.deepEqual(await fromFile.classes(), ['Point', 'RemoteClass']);
    fromFile.close();
    process.env.ROC_TOKEN = TOKEN;
    try {
      const fromEnv = serverProxy('127.0.0.1', agent.port);
      assert.deepEqual(await fromEnv.classes(), ['Point', 'RemoteClass']);
      fromEnv.close();
    } finally {
      delete process.env.ROC_TOKEN;
    }
    assert.throws(
      () => serverProxy('127.0.0.1', agent.port, { tokenFile: join(dir, 'missing') }),
      /cannot read token file .*missing: no such file \(make one with: roc token .*missing\)/,
    );
  });

  test('shutdown() needs the token like everything else', async () => {
    const r = await rawPost({}, encodeCall('shutdown', []));
    assert.equal(r.status, 401);
    const proxy = serverProxy('127.0.0.1', agent.port, { token: TOKEN });
    assert.deepEqual(await proxy.classes(), ['Point', 'RemoteClass']);
    proxy.close();
  });

  test('an unauthenticated 50 MB body is not read: the connection is closed after the 401', async () => {
    const result = await new Promise<{ status: number } | Error>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: agent.port,
          method: 'POST',
          agent: false,
          headers: { 'Content-Length': String(50 * 1024 * 1024) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode! }));
        },
      );
      req.on('error', (err) => resolve(err));
      req.write(Buffer.alloc(64 * 1024));
    });
    if (result instanceof Error) assert.match(result.message, /EPIPE|ECONNRESET|socket hang up/);
    else assert.equal(result.status, 401);
  });

  test(
    "Python's ServerProxy with the token in the URL",
    { skip: process.env.ROC_NO_PYTHON ? 'ROC_NO_PYTHON set' : false },
    async () => {
      const code = `import xmlrpc.client, sys\np = xmlrpc.client.ServerProxy(sys.argv[1], allow_none=True)\nprint(p.classes())\ntry:\n    xmlrpc.client.ServerProxy(sys.argv[2]).classes()\nexcept xmlrpc.client.ProtocolError as e:\n    print(e.errcode)`;
      const { stdout } = await execFileAsync('python3', [
        '-c',
        code,
        `http://roc:${TOKEN}@127.0.0.1:${agent.port}/`,
        `http://roc:wrong@127.0.0.1:${agent.port}/`,
      ]);
      assert.equal(stdout, "['Point', 'RemoteClass']\n401\n");
    },
  );
});

describe('listening off loopback', () => {
  test('is refused without a token', async () => {
    await assert.rejects(Agent.start({ modules: [example('remote_class.js')], port: 0, host: '0.0.0.0' }), {
      name: 'AgentStartError',
      message:
        'refusing to listen on 0.0.0.0 without a token: anyone who can reach it could run code on this machine. Give --token-file <file> (make one with: roc token) or ROC_TOKEN, or pass --insecure to accept the risk',
    });
  });

  test('is allowed with a token, or with insecure', async () => {
    for (const extra of [{ token: TOKEN }, { insecure: true }]) {
      const a = await Agent.start({ modules: [example('remote_class.js')], port: 0, host: '0.0.0.0', ...extra });
      await a.close(100);
    }
  });

  test('roc-agent --insecure warns on stderr; as root it is refused', async () => {
    const args = ['--insecure', '--host', '0.0.0.0', '-p', '0', '-m', example('remote_class.js')];
    if (process.getuid?.() === 0) {
      // Root off loopback with no token would let anyone who reaches it run code as root.
      const err = await rejection(startAgentProcess(args, { ...process.env, ROC_TOKEN: '' }));
      assert.match(
        err.message,
        /roc-agent: refusing --insecure as root on 0\.0\.0\.0: anyone who could reach it would run code on this machine as root\. Give --token-file <file> \(make one with: roc token\) or ROC_TOKEN/,
      );
      return;
    }
    const agent = await startAgentProcess(args, { ...process.env, ROC_TOKEN: '' });
    await agent.stop();
    const stderr = agent.stderr();
    assert.match(
      stderr,
      /^roc-agent: warning: listening on 0\.0\.0\.0 with no token \(--insecure\): anyone who can reach this port can run code on this machine as /,
    );
  });
});

describe('roc token', () => {
  const rocBin = join(repoRoot, 'dist/src/cli/roc.js');
  test('writes a random token with mode 0600, keeps it when run again (set -e scripts go on), and --force replaces it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-token-'));
    const file = join(dir, 'sub', 'token');
    const { stdout } = await execFileAsync(process.execPath, [rocBin, 'token', file]);
    assert.match(stdout, /^wrote a new token to .*token \(mode 0600\)/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const first = readFileSync(file, 'utf8').trim();
    assert.match(first, /^[A-Za-z0-9_-]{43}$/);
    const again = await execFileAsync(process.execPath, [rocBin, 'token', file]);
    assert.equal(again.stdout, `kept the token in ${file}, there already (--force writes a new one)\n`);
    assert.equal(readFileSync(file, 'utf8').trim(), first, 'the token agents and hosts use is kept');
    await execFileAsync(process.execPath, [rocBin, 'token', '--force', file]);
    assert.notEqual(readFileSync(file, 'utf8').trim(), first);
  });

  test('--force replaces a readable file with a 0600 one, and a link at the path, never its target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roc-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'old\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    await execFileAsync(process.execPath, [rocBin, 'token', '--force', file]);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'what it prints (mode 0600) is what the file is');
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'not a token\n');
    const link = join(dir, 'linked');
    symlinkSync(target, link);
    await execFileAsync(process.execPath, [rocBin, 'token', '--force', link]);
    assert.equal(readFileSync(target, 'utf8'), 'not a token\n', 'the link was not followed');
    assert.ok(!lstatSync(link).isSymbolicLink());
    assert.equal(lstatSync(link).mode & 0o777, 0o600);
  });

  test('roc-agent --token-file: missing file exits 1; a file others can read gets a warning', async () => {
    const agentBin = join(repoRoot, 'dist/src/cli/roc-agent.js');
    const missing = await execFileAsync(process.execPath, [
      agentBin,
      '-m',
      example('remote_class.js'),
      '-p',
      '0',
      '--token-file',
      '/nonexistent/token',
    ]).catch((e) => e as { code: number; stderr: string });
    assert.equal((missing as { code: number }).code, 1);
    assert.equal(
      (missing as { stderr: string }).stderr,
      'roc-agent: cannot read token file /nonexistent/token: no such file (make one with: roc token /nonexistent/token)\n',
    );
    const dir = mkdtempSync(join(tmpdir(), 'roc-token-'));
    const open = join(dir, 'token');
    writeFileSync(open, TOKEN, { mode: 0o644 });
    const agent = await startAgentProcess(['-m', example('remote_class.js'), '-p', '0', '--token-file', open]);
    const line = agent.lines.find((l) => l.includes('Listening')) ?? '';
    assert.match(line, /token required/);
    await agent.stop();
    const stderr = agent.stderr();
    assert.match(stderr, /roc-agent: warning: token file .*token can be read by others \(mode 0644\); chmod 600 /);
  });
});
