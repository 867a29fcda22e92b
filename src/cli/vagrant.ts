import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTopology } from '../topology/index.js';
import { UsageError } from './exit.js';

/** The installed package's folder: the Vagrantfile it writes loads provisioning/vagrant.rb from there. */
const PACKAGE = fileURLToPath(new URL('../../../', import.meta.url));

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** The Vagrantfile `roc init vagrant` writes: it finds roc-toolkit where the project installed it, at every run. */
function projectVagrantfile(topology: string): string {
  return `# -*- mode: ruby -*-
# Written by \`roc init vagrant\`: one Vagrant machine per guest of ${topology}
# (ROC_TOPOLOGY overrides it), provisioned with the ROC agent of the installed
# roc-toolkit package (its provisioning/vagrant.rb does the work). Run
# \`vagrant up\`; \`roc ping\` then reaches the guests.
roc_toolkit = IO.popen(
  ["node", "-p", "require('path').dirname(require.resolve('roc-toolkit/package.json', { paths: [process.argv[1]] }))", __dir__],
  &:read
).strip
unless $?.success? && !roc_toolkit.empty?
  abort "Vagrantfile: cannot find roc-toolkit from #{__dir__}: install it (npm install --save-dev roc-toolkit), with node on the PATH"
end
load File.join(roc_toolkit, "provisioning", "vagrant.rb")
RocVagrant.configure(project: __dir__, package: roc_toolkit, topology: ${JSON.stringify(topology)})
`;
}

/**
 * `roc init vagrant`: writes a Vagrantfile into the current folder that
 * makes the topology's guests Vagrant machines, provisioned from the
 * installed package. Refuses to replace a Vagrantfile unless --force.
 */
export function runInitVagrant(flags: { topology?: string; force?: boolean }): void {
  const topology = flags.topology ?? 'roc.yml';
  const file = resolve('Vagrantfile');
  if (!existsSync(topology))
    throw new UsageError(
      `no topology ${topology} here: write one (the README's "Guests by name"), or name yours with --topology`,
      '--topology',
    );
  const rel = relative(process.cwd(), resolve(topology));
  if (rel.startsWith('..'))
    throw new UsageError(
      `${topology} is outside this folder: the guests see only this folder (synced to /vagrant); run roc init vagrant where the topology is`,
      '--topology',
    );
  if (existsSync(file) && !flags.force) throw new UsageError(`${file} exists already; --force replaces it`, '--force');
  const t = loadTopology(resolve(topology), { checkTokenFiles: false });
  const names = [...t.specs.keys()];
  const tokens = [...new Set([...t.specs.values()].map((s) => s.tokenFile).filter((f): f is string => !!f))];
  t.close();
  writeFileSync(file, projectVagrantfile(rel));
  out(`wrote ${file}: ${names.length} machine(s), ${names.join(', ')}, from ${rel}`);
  for (const token of tokens.filter((f) => !existsSync(f))) out(`next: roc token ${relative(process.cwd(), token)}`);
  out('next: vagrant up (roc vagrant nspawn install first, for guests without VirtualBox or libvirt)');
}

/** Vagrant's insecure public key, which a base box authorizes: from the installed gem. */
export function vagrantInsecureKey(): string {
  const gemDir = spawnSync('ruby', ['-e', 'puts Gem::Specification.find_by_name("vagrant").gem_dir'], {
    encoding: 'utf8',
  }).stdout.trim();
  for (const candidate of [
    join(gemDir, 'keys', 'vagrant.pub'),
    '/opt/vagrant/embedded/gems/gems/vagrant/keys/vagrant.pub',
  ])
    if (gemDir && existsSync(candidate)) return candidate;
  throw new UsageError(
    `cannot find Vagrant's insecure key (looked in ${gemDir || 'no vagrant gem'}/keys): install Vagrant (apt-get install --no-install-recommends vagrant)`,
    'nspawn',
  );
}

/**
 * Builds, once (it is cached), the nspawn provider's box: Debian 12 with
 * sshd, sudo, rsync, ifupdown and the vagrant user. Answers its folder.
 */
export function buildNspawnBox(log: 'inherit' | 'ignore' = 'inherit'): string {
  return execFileSync('sh', [join(PACKAGE, 'provisioning', 'nspawn', 'box.sh'), vagrantInsecureKey()], {
    encoding: 'utf8',
    timeout: 1_800_000,
    stdio: ['ignore', 'pipe', log],
  }).trim();
}

const BEGIN = '# >>> roc-toolkit nspawn provider (roc vagrant nspawn install)';
const END = '# <<< roc-toolkit nspawn provider';

/** The block a VAGRANT_HOME Vagrantfile gets: the provider, and its box unless one is set already. */
export function nspawnHook(box: string): string {
  return `${BEGIN}
ENV["ROC_NSPAWN_BOX"] ||= ${JSON.stringify(box)}
require ${JSON.stringify(join(PACKAGE, 'provisioning', 'nspawn', 'plugin.rb'))}
${END}
`;
}

/**
 * `roc vagrant nspawn install`: checks what the provider needs, builds its
 * box, and loads it from VAGRANT_HOME's Vagrantfile (replacing an earlier
 * install's block, keeping anything else there).
 */
export function runNspawnInstall(): void {
  if (process.getuid?.() !== 0)
    throw new UsageError(
      'the nspawn provider needs root (it boots guests with systemd-nspawn in network namespaces): run it with sudo, and vagrant as root too',
      'nspawn',
    );
  const missing = [
    ['vagrant', 'vagrant'],
    ['ruby', 'vagrant'],
    ['systemd-nspawn', 'systemd-container'],
    ['debootstrap', 'debootstrap'],
    ['ip', 'iproute2'],
  ].filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
  if (missing.length)
    throw new UsageError(
      `the nspawn provider needs ${missing.map(([c]) => c).join(', ')}: apt-get install --no-install-recommends ${[...new Set(missing.map(([, p]) => p))].join(' ')}`,
      'nspawn',
    );
  out('building the box (Debian 12 with sshd; the first time takes a few minutes, then it is cached)...');
  const box = buildNspawnBox();
  const home = process.env.VAGRANT_HOME || join(homedir(), '.vagrant.d');
  mkdirSync(home, { recursive: true });
  const file = join(home, 'Vagrantfile');
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = before.indexOf(BEGIN);
  const end = before.indexOf(END);
  const kept = start >= 0 && end > start ? before.slice(0, start) + before.slice(end + END.length + 1) : before;
  writeFileSync(file, `${kept}${kept && !kept.endsWith('\n') ? '\n' : ''}${nspawnHook(box)}`);
  out(`box: ${box}`);
  out(`provider: loaded from ${file}`);
  out(
    `use it: vagrant up --provider nspawn (or VAGRANT_DEFAULT_PROVIDER=nspawn), in a project with a Vagrantfile (roc init vagrant)`,
  );
}
