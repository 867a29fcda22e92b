/**
 * What every Vagrant-tier file needs: the real `vagrant` with the nspawn
 * provider (provisioning/nspawn) installed into a VAGRANT_HOME of its own,
 * and a machine folder (VAGRANT_DOTFILE_PATH) of its own, so two files'
 * machines never meet.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, rootTierSkip } from '../helpers.js';

/** Why the tier cannot run here (printed as a skip), or false. */
export const vagrantTierSkip = rootTierSkip('the Vagrant tier', 'systemd-nspawn, network namespaces, mounts', [
  'vagrant',
  'systemd-nspawn',
  'debootstrap',
  'java',
  'rsync',
  'ssh',
]);

export const rocCli = join(repoRoot, 'dist', 'src', 'cli', 'roc.js');

export interface RunResult {
  code: number | null;
  out: string;
  ms: number;
}

/**
 * A Vagrant environment: a project's Vagrantfile (this repository's, or a
 * package user's), with the nspawn provider installed into a VAGRANT_HOME of
 * its own by `roc vagrant nspawn install` (of the repository's build, or of
 * the installed package).
 */
export class VagrantEnv {
  readonly home: string;
  readonly dotfile: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;

  constructor(options: { topology?: string; cwd?: string; roc?: string } = {}) {
    this.cwd = options.cwd ?? repoRoot;
    this.home = mkdtempSync(join(tmpdir(), 'roc-vagrant-home-'));
    this.dotfile = mkdtempSync(join(tmpdir(), 'roc-vagrant-dot-'));
    this.env = {
      ...process.env,
      VAGRANT_HOME: this.home,
      VAGRANT_DOTFILE_PATH: this.dotfile,
      VAGRANT_DEFAULT_PROVIDER: 'nspawn',
      VAGRANT_CHECKPOINT_DISABLE: '1',
      ...(options.topology ? { ROC_TOPOLOGY: options.topology } : {}),
    };
    delete this.env.ROC_NSPAWN_BOX;
    // Any value, even an empty one, turns parallel up off.
    delete this.env.VAGRANT_NO_PARALLEL;
    this.installed = execFileSync(process.execPath, [options.roc ?? rocCli, 'vagrant', 'nspawn', 'install'], {
      cwd: this.cwd,
      env: this.env,
      encoding: 'utf8',
      timeout: 1_800_000,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }

  /** What `roc vagrant nspawn install` printed. */
  readonly installed: string;

  /** Runs a command to its end, in the project's folder with this environment; its output is returned. */
  run(cmd: string, args: string[], timeoutMs: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: this.cwd,
        env: { ...this.env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const take = (d: Buffer): void => {
        out += d;
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, ms: Date.now() - started });
      });
    });
  }

  vagrant(args: string[], timeoutMs = 600_000): Promise<RunResult> {
    return this.run('vagrant', args, timeoutMs);
  }

  /** What the machines left on the host: namespaces, links, mounts and nspawn processes. */
  leftovers(): string[] {
    const found: string[] = [];
    for (const line of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n'))
      if (line.startsWith('rocvg-')) found.push(`netns ${line}`);
    for (const line of execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n')) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      if (name && /^(vg[0-9a-f]{6}|rvg)/.test(name)) found.push(`link ${name}`);
    }
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n'))
      if (line.includes(this.dotfile)) found.push(`mount ${line.split(' ')[1]}`);
    const procs = spawnSync('pgrep', ['-af', `systemd-nspawn.*${this.dotfile}`], { encoding: 'utf8' });
    assert.notEqual(procs.status, null, 'pgrep must run');
    found.push(
      ...procs.stdout
        .split('\n')
        .filter(Boolean)
        .map((p) => `process ${p}`),
    );
    return found;
  }

  /** vagrant destroy -f, then checks nothing is left, and removes the environment's folders. */
  async destroy(): Promise<RunResult> {
    const destroyed = await this.vagrant(['destroy', '-f'], 300_000);
    assert.equal(destroyed.code, 0, destroyed.out);
    assert.deepEqual(this.leftovers(), []);
    rmSync(this.home, { recursive: true, force: true });
    rmSync(this.dotfile, { recursive: true, force: true });
    return destroyed;
  }
}
