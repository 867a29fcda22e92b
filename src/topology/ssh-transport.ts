import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HttpTransport,
  TransportClosedError,
  type CallSite,
  type Transport,
  type TransportAnswer,
  type TransportOptions,
} from '../wire/index.js';
import type { GuestSpec, SshSettings } from './load.js';
import { SshGuestError } from './errors.js';
import { freePort } from './free-port.js';

/** The single-file agent, as `npm run build` writes it (dist/agent/roc-agent.js). */
export const AGENT_BUNDLE = fileURLToPath(new URL('../../agent/roc-agent.js', import.meta.url));

/** At most this many guests' agents are being started over ssh at once. */
export const SSH_START_CONCURRENCY = 32;
/** How long an agent started over ssh has to say where it listens. */
const START_TIMEOUT_MS = 30_000;

/**
 * Runs on the guest as `node -e`: reads the agent and the modules from its
 * standard input (frames: name length, name, data length, data; a zero name
 * length ends them) into a private temporary folder, then runs the agent
 * there. Its standard input stays open: when it ends (the host process or
 * the connection gone), the agent stops, and the folder is removed as the
 * process exits. Plain old JavaScript, so that an old Node says it is old.
 */
const BOOTSTRAP = `var v=+process.versions.node.split('.')[0];if(v<18){process.stderr.write('ROC-SSH old-node '+process.version+'\\n');process.exit(87)}
var fs=require('fs'),path=require('path'),os=require('os');
var dir=fs.mkdtempSync(path.join(os.tmpdir(),'roc-ssh-agent-'));fs.chmodSync(dir,448);
var gone=false;process.on('exit',function(){if(!gone){gone=true;try{fs.rmSync(dir,{recursive:true,force:true})}catch(e){}}});
var buf=Buffer.alloc(0),started=false;
process.stdin.on('data',function(c){if(started)return;buf=Buffer.concat([buf,c]);parse()});
process.stdin.on('end',function(){if(started)process.kill(process.pid,'SIGTERM');else process.exit(1)});
process.stdin.on('error',function(){});
function parse(){for(;;){if(buf.length<4)return;var n=buf.readUInt32BE(0);if(n===0){buf=null;return start()}
if(buf.length<8+n)return;var name=buf.subarray(4,4+n).toString();var m=buf.readUInt32BE(4+n);if(buf.length<8+n+m)return;
var f=path.join(dir,name);if(path.relative(dir,f).startsWith('..'))process.exit(2);fs.mkdirSync(path.dirname(f),{recursive:true,mode:448});
fs.writeFileSync(f,buf.subarray(8+n,8+n+m),{mode:384});buf=buf.subarray(8+n+m)}}
function start(){started=true;var a=process.argv.slice(1).map(function(x){return x.split('@DIR@').join(dir)});
process.argv=[process.execPath,path.join(dir,'roc-agent.js')].concat(a);require(path.join(dir,'roc-agent.js'))}`;

/** A word for the guest's shell: single-quoted, its own single quotes closed, escaped and reopened. */
const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** One frame of the bootstrap's input. */
function frame(name: string, data: Buffer | string): Buffer {
  const n = Buffer.from(name);
  const d = typeof data === 'string' ? Buffer.from(data) : data;
  const head = Buffer.alloc(4);
  head.writeUInt32BE(n.length);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(d.length);
  return Buffer.concat([head, n, size, d]);
}

/** Whether Node loads a `.js` file as an ES module: the nearest package.json's type. */
function isEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let d = dirname(file); ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(d) === d) return false;
  }
}

/** Every file of a folder, but node_modules and dot-folders, relative to it. */
function filesOf(dir: string, under = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, under), { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const rel = join(under, e.name);
    if (e.isDirectory()) out.push(...filesOf(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/**
 * What the guest gets on its standard input: the agent, a token, and each of
 * the topology's modules in a folder of its own (a folder module whole; a
 * file with a package.json saying its module type, as Node read it here).
 * Answers the frames and the agent's `-m` paths on the guest.
 */
function payload(modules: readonly string[], token: string): { frames: Buffer[]; modulePaths: string[] } {
  const frames = [frame('roc-agent.js', readFileSync(AGENT_BUNDLE)), frame('token', `${token}\n`)];
  const modulePaths: string[] = [];
  modules.forEach((m, i) => {
    const dir = `modules/${i}`;
    if (statSync(m).isDirectory()) {
      for (const f of filesOf(m)) frames.push(frame(`${dir}/${basename(m)}/${f}`, readFileSync(join(m, f))));
      modulePaths.push(`@DIR@/${dir}/${basename(m)}`);
    } else {
      frames.push(frame(`${dir}/${basename(m)}`, readFileSync(m)));
      frames.push(frame(`${dir}/package.json`, JSON.stringify({ type: isEsm(m) ? 'module' : 'commonjs' })));
      modulePaths.push(`@DIR@/${dir}/${basename(m)}`);
    }
  });
  const end = Buffer.alloc(4);
  frames.push(end);
  return { frames, modulePaths };
}

let starting = 0;
const waiting: (() => void)[] = [];
/** Runs `fn` when fewer than SSH_START_CONCURRENCY starts are under way. */
async function bounded<T>(fn: () => Promise<T>): Promise<T> {
  if (starting >= SSH_START_CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
  starting++;
  try {
    return await fn();
  } finally {
    starting--;
    waiting.shift()?.();
  }
}

/** The ssh options every connection of a guest shares: the user's own ssh, set up as they have it. */
function sshOptions(ssh: SshSettings, control: string): string[] {
  return [
    ...(ssh.configFile ? ['-F', ssh.configFile] : []),
    ...(ssh.user ? ['-l', ssh.user] : []),
    ...(ssh.port ? ['-p', String(ssh.port)] : []),
    ...(ssh.identityFile ? ['-i', ssh.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
    '-o',
    'BatchMode=yes',
    '-o',
    `ControlPath=${control}`,
  ];
}

/**
 * Reaches a guest that has nothing of ROC installed: one ssh connection
 * (the system's OpenSSH client, so ~/.ssh/config, agents, jump hosts and
 * known_hosts work as the user has them) streams the single-file agent and
 * the guest's modules to it, starts it on the guest's 127.0.0.1 with a
 * fresh token, and forwards a local port to it through the same connection
 * (ControlMaster). Started on the first call; when this process ends, or
 * the connection drops, the agent stops and removes what it wrote.
 */
export class SshTransport implements Transport {
  readonly guest: string;
  readonly timeout: number;
  readonly endpoint: string;
  readonly tokenSource = 'a fresh token sent over ssh';
  readonly #spec: GuestSpec;
  readonly #options: TransportOptions;
  #ready: Promise<HttpTransport> | undefined;
  #inner: HttpTransport | undefined;
  #ssh: ChildProcess | undefined;
  #closed = false;

  /** Where `vagrant ssh-config` runs for transport: vagrant (the topology's folder: vagrant looks up from there). */
  readonly #vagrantDir: string | undefined;

  constructor(spec: GuestSpec, options: TransportOptions, topologyFile?: string) {
    this.#spec = spec;
    this.#options = options;
    this.guest = spec.name;
    this.timeout = options.timeout ?? 30_000;
    const ssh = spec.ssh!;
    this.#vagrantDir =
      spec.transport === 'vagrant' ? (topologyFile ? dirname(topologyFile) : process.cwd()) : undefined;
    this.endpoint =
      spec.transport === 'vagrant'
        ? `vagrant:${ssh.configHost ?? spec.name}`
        : `ssh:${ssh.user ? `${ssh.user}@` : ''}${ssh.configHost ?? spec.host}${ssh.port ? `:${ssh.port}` : ''}`;
  }

  /** For transport: vagrant, the machine's ssh settings, read once from `vagrant ssh-config` into a private file. */
  async #vagrantSsh(controlDir: string): Promise<SshSettings> {
    const spec = this.#spec;
    const machine = spec.ssh?.configHost ?? spec.name;
    const where = `guest ${spec.name} (${this.endpoint})`;
    const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>(
      (resolve, reject) => {
        const v = spawn('vagrant', ['ssh-config', machine], {
          cwd: this.#vagrantDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        v.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
        v.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
        v.once('error', (e) =>
          reject(
            new SshGuestError(`${where}: cannot run vagrant: ${e.message}; install Vagrant`, {
              guest: spec.name,
              target: machine,
              cause: e,
            }),
          ),
        );
        v.once('exit', (c) => resolve({ code: c, out, err }));
      },
    );
    if (code !== 0 || !/^Host /m.test(out))
      throw new SshGuestError(
        `${where}: vagrant ssh-config ${machine} (in ${this.#vagrantDir}) failed: ${(err || out).trim().split('\n').slice(-2).join(' ')}; is the machine up (vagrant up ${machine})?`,
        { guest: spec.name, target: machine, stderr: err, exitCode: code },
      );
    const file = join(controlDir, 'ssh_config');
    writeFileSync(file, out, { mode: 0o600 });
    return { configFile: file, configHost: /^Host (\S+)/m.exec(out)![1], sudo: spec.ssh?.sudo ?? false };
  }

  site(method: string): CallSite {
    return { endpoint: this.endpoint, method, guest: this.guest };
  }

  async post(body: string, method: string, timeout?: number): Promise<TransportAnswer> {
    if (this.#closed) throw new TransportClosedError(this.site(method));
    this.#ready ??= bounded(() => this.#start()).catch((err: unknown) => {
      this.#ready = undefined; // the next call tries again
      throw err;
    });
    return (await this.#ready).post(body, method, timeout);
  }

  close(): void {
    this.#closed = true;
    this.#inner?.close();
    const ssh = this.#ssh;
    if (ssh && ssh.exitCode === null) {
      // The lifeline: the agent stops when its input ends; the connection then ends with it.
      ssh.stdin?.end();
      const kill = setTimeout(() => ssh.kill('SIGTERM'), 5_000);
      kill.unref();
      ssh.once('exit', () => clearTimeout(kill));
    }
  }

  async #start(): Promise<HttpTransport> {
    const spec = this.#spec;
    const controlDir = mkdtempSync(join(tmpdir(), 'roc-ssh-'));
    const ssh = this.#vagrantDir === undefined ? spec.ssh! : await this.#vagrantSsh(controlDir);
    const target = ssh.configHost ?? spec.host;
    const where = `guest ${spec.name} (${this.endpoint.replace(/^ssh:/, 'ssh ')})`;
    const fail = (
      message: string,
      context: { stderr?: string; exitCode?: number | null; cause?: unknown } = {},
    ): never => {
      throw new SshGuestError(`${where}: ${message}`, { guest: spec.name, target, ...context });
    };
    if (!existsSync(AGENT_BUNDLE))
      fail(`no agent bundle at ${AGENT_BUNDLE} to send: build roc-toolkit (npm run build) or reinstall it`);
    const token = randomBytes(32).toString('base64url');
    const { frames, modulePaths } = payload(spec.modules, token);
    const control = join(controlDir, 'c');
    const agentArgs = [
      'serve',
      '-p',
      '0',
      '--host',
      '127.0.0.1',
      '--token-file',
      '@DIR@/token',
      ...modulePaths.flatMap((m) => ['-m', m]),
    ];
    const remote = [...(ssh.sudo ? ['sudo', '-n'] : []), 'node', '-e', BOOTSTRAP, ...agentArgs]
      .map(shellWord)
      .join(' ');
    const child = spawn(
      'ssh',
      [
        ...sshOptions(ssh, control),
        '-T',
        '-o',
        'ControlMaster=yes',
        '-o',
        'ControlPersist=no',
        '-o',
        'ServerAliveInterval=5',
        '-o',
        'ServerAliveCountMax=3',
        target,
        remote,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.#ssh = child;
    child.once('exit', () => rmSync(controlDir, { recursive: true, force: true }));
    child.stdin!.on('error', () => {});
    for (const f of frames) child.stdin!.write(f);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4_000)));
    const remotePort = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGTERM');
        reject(
          new SshGuestError(
            `${where}: the agent did not say where it listens within ${START_TIMEOUT_MS} ms${stderr ? `: ${stderr.trim()}` : ''}`,
            { guest: spec.name, target, stderr },
          ),
        );
      }, START_TIMEOUT_MS);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /Listening on https?:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(
          new SshGuestError(`${where}: cannot run ssh on this machine: ${err.message}; install OpenSSH's client`, {
            guest: spec.name,
            target,
            cause: err,
          }),
        );
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        // stderr may still be arriving: read what there is after the stream ends.
        child.stderr!.once('end', () => reject(this.#startError(where, target, code, stderr, out)));
        if (child.stderr!.readableEnded) reject(this.#startError(where, target, code, stderr, out));
      });
    });
    const localPort = await freePort();
    await new Promise<void>((resolve, reject) => {
      const fwd = spawn(
        'ssh',
        [...sshOptions(ssh, control), '-O', 'forward', '-L', `127.0.0.1:${localPort}:127.0.0.1:${remotePort}`, target],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      fwd.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      fwd.once('error', reject);
      fwd.once('exit', (code) =>
        code === 0
          ? resolve()
          : reject(
              new SshGuestError(
                `${where}: could not forward a port to the agent through the connection: ${err.trim()}`,
                { guest: spec.name, target, stderr: err },
              ),
            ),
      );
    });
    // Nothing of the connection keeps this process alive: when it ends, so does the agent.
    child.unref();
    (child.stdin as unknown as net.Socket).unref?.();
    (child.stdout as unknown as net.Socket).unref?.();
    (child.stderr as unknown as net.Socket).unref?.();
    this.#inner = new HttpTransport({
      ...this.#options,
      host: '127.0.0.1',
      port: localPort,
      token,
      tokenSource: this.tokenSource,
    });
    return this.#inner;
  }

  #startError(where: string, target: string, code: number | null, stderr: string, out: string): SshGuestError {
    const said = stderr.trim();
    const context = { guest: this.#spec.name, target, stderr, exitCode: code };
    if (code === 127 || /node: (command )?not found|node: No such file/.test(said))
      return new SshGuestError(
        `${where}: no node on the guest's PATH: install Node.js 18 or later there (Debian and Ubuntu: apt-get install nodejs; else nodejs.org), then call again`,
        context,
      );
    const old = /ROC-SSH old-node (v[\d.]+)/.exec(said);
    if (code === 87 || old)
      return new SshGuestError(
        `${where}: its node ${old?.[1] ?? ''} is too old: ROC's agent needs Node.js 18 or later; install a newer one there`.replace(
          '  ',
          ' ',
        ),
        context,
      );
    if (/a password is required|sudo: a terminal is required/.test(said))
      return new SshGuestError(
        `${where}: sudo -n asks for a password: give ${this.#spec.ssh?.user ?? 'the login user'} passwordless sudo there (or sudo: false in the topology)`,
        context,
      );
    if (code === 255)
      return new SshGuestError(
        `${where}: ssh could not connect or log in: ${said.split('\n').slice(-3).join(' ') || 'no message'}; try ssh ${target} by hand (ssh -v shows why)`,
        context,
      );
    return new SshGuestError(
      `${where}: the agent exited (code ${String(code)}) before it listened${said || out.trim() ? `: ${(said || out.trim()).split('\n').slice(-5).join(' | ')}` : ''}`,
      context,
    );
  }
}
