/**
 * What every Vagrant-tier file needs: the real `vagrant` with the test-only
 * nspawn provider (test/vagrant/nspawn) loaded from a VAGRANT_HOME of its
 * own, on one topology, with a machine folder (VAGRANT_DOTFILE_PATH) of its
 * own, so two files' machines never meet.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/** Vagrant's insecure public key, from the installed gem. */
function insecureKey(): string {
  const gemDir = spawnSync('ruby', ['-e', 'puts Gem::Specification.find_by_name("vagrant").gem_dir'], {
    encoding: 'utf8',
  }).stdout.trim();
  for (const candidate of [
    join(gemDir, 'keys', 'vagrant.pub'),
    '/opt/vagrant/embedded/gems/gems/vagrant/keys/vagrant.pub',
  ])
    if (gemDir && existsSync(candidate)) return candidate;
  throw new Error(`cannot find Vagrant's insecure key (looked in ${gemDir || 'no vagrant gem'}/keys)`);
}

export interface RunResult {
  code: number | null;
  out: string;
  ms: number;
}

/** A Vagrant environment of the project's Vagrantfile on one topology. */
export class VagrantEnv {
  readonly home: string;
  readonly dotfile: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(topologyFile: string) {
    const box = execFileSync('sh', [join(repoRoot, 'test', 'vagrant', 'box.sh'), insecureKey()], {
      encoding: 'utf8',
      timeout: 1_500_000,
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    this.home = mkdtempSync(join(tmpdir(), 'roc-vagrant-home-'));
    this.dotfile = mkdtempSync(join(tmpdir(), 'roc-vagrant-dot-'));
    copyFileSync(join(repoRoot, 'test', 'vagrant', 'Vagrantfile.home'), join(this.home, 'Vagrantfile'));
    this.env = {
      ...process.env,
      VAGRANT_HOME: this.home,
      VAGRANT_DOTFILE_PATH: this.dotfile,
      VAGRANT_DEFAULT_PROVIDER: 'nspawn',
      VAGRANT_CHECKPOINT_DISABLE: '1',
      ROC_NSPAWN_PLUGIN_DIR: join(repoRoot, 'test', 'vagrant', 'nspawn'),
      ROC_NSPAWN_BOX: box,
      ROC_TOPOLOGY: topologyFile,
    };
    // Any value, even an empty one, turns parallel up off.
    delete this.env.VAGRANT_NO_PARALLEL;
  }

  /** Runs a command to its end, in the project folder with this environment; its output is returned. */
  run(cmd: string, args: string[], timeoutMs: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: repoRoot,
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
