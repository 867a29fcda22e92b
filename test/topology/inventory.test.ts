/** Guests from inventories: Ansible (INI and YAML), an ssh configuration (vagrant ssh-config), Terraform's output. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadTopology, TopologyError } from '../../src/topology/index.js';
import { example, rejection, repoRoot, startAgentProcess } from '../helpers.js';

const execFileAsync = promisify(execFile);

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'roc-inventory-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const INI = `# an Ansible inventory
bastion ansible_host=10.0.0.2

[web]
web1 ansible_host=10.0.0.11 ansible_user=deploy
web2 ansible_host=10.0.0.12 ansible_port=2222

[db]
db1 ansible_host=10.0.0.21 ansible_ssh_private_key_file=/keys/db

[prod:children]
web
db

[all:vars]
ansible_user=ubuntu

[web:vars]
ansible_become=true
`;

const YAML = `all:
  vars: { ansible_user: ubuntu }
  hosts:
    bastion: { ansible_host: 10.0.0.2 }
  children:
    prod:
      children:
        web:
          vars: { ansible_become: true }
          hosts:
            web1: { ansible_host: 10.0.0.11, ansible_user: deploy }
            web2: { ansible_host: 10.0.0.12, ansible_port: 2222 }
        db:
          hosts:
            db1: { ansible_host: 10.0.0.21, ansible_ssh_private_key_file: /keys/db }
`;

const summary = (file: string): Record<string, unknown> => {
  const t = loadTopology(file, { checkTokenFiles: false });
  const out = Object.fromEntries(
    [...t.specs.values()].map((s) => [
      s.name,
      { host: s.host, transport: s.transport, roles: s.roles, ssh: s.ssh, modules: s.modules.length, source: s.source },
    ]),
  );
  t.close();
  return out;
};

test('an Ansible inventory, INI or YAML: hosts, groups as roles, connection variables; the topology merges its settings over', () => {
  const dir = folder({
    'hosts.ini': INI,
    'hosts.yml': YAML,
    'ini.yml': `inventories: [{ ansible: hosts.ini }]\ndefaults: { timeout: 20s }\nguests:\n  db1: { modules: [${example('remote_class.js')}], ssh: { sudo: true } }\n`,
    'yaml.yml': `inventories: [{ ansible: hosts.yml }]\ndefaults: { timeout: 20s }\nguests:\n  db1: { modules: [${example('remote_class.js')}], ssh: { sudo: true } }\n`,
  });
  const fromIni = summary(join(dir, 'ini.yml'));
  const fromYaml = summary(join(dir, 'yaml.yml'));
  const ssh = (s: Record<string, unknown>) => ({
    user: undefined,
    port: undefined,
    identityFile: undefined,
    configHost: undefined,
    configFile: undefined,
    sudo: false,
    ...s,
  });
  const expected = (file: string) => ({
    bastion: {
      host: '10.0.0.2',
      transport: 'ssh',
      roles: [],
      ssh: ssh({ user: 'ubuntu' }),
      modules: 0,
      source: `ansible ${join(dir, file)}`,
    },
    web1: {
      host: '10.0.0.11',
      transport: 'ssh',
      roles: ['prod', 'web'],
      ssh: ssh({ user: 'deploy', sudo: true }),
      modules: 0,
      source: `ansible ${join(dir, file)}`,
    },
    web2: {
      host: '10.0.0.12',
      transport: 'ssh',
      roles: ['prod', 'web'],
      ssh: ssh({ user: 'ubuntu', port: 2222, sudo: true }),
      modules: 0,
      source: `ansible ${join(dir, file)}`,
    },
    db1: {
      host: '10.0.0.21',
      transport: 'ssh',
      roles: ['prod', 'db'],
      ssh: ssh({ user: 'ubuntu', identityFile: '/keys/db', sudo: true }),
      modules: 1,
      source: `ansible ${join(dir, file)}, with ${file === 'hosts.ini' ? 'ini' : 'yaml'}.yml's settings`,
    },
  });
  assert.deepEqual(fromIni, expected('hosts.ini'));
  assert.deepEqual(fromYaml, expected('hosts.yml'));
});

test('vagrant ssh-config output and Terraform outputs', () => {
  const dir = folder({
    'vagrant.ssh': `Host kv1\n  HostName 127.0.0.1\n  User vagrant\n  Port 2200\n  IdentityFile /v/.vagrant/machines/kv1/virtualbox/private_key\n\nHost kv2\n  HostName 127.0.0.1\n  Port 2201\n`,
    'tf.json': JSON.stringify({
      web: { value: { app1: '10.1.0.5', app2: { host: '10.1.0.6', user: 'admin' } }, type: ['object', {}] },
      region: { value: 'eu-west-1', type: 'string' },
    }),
    'roc.yml': 'inventories: [{ ssh_config: vagrant.ssh }, { terraform: tf.json }]\n',
  });
  const t = loadTopology(join(dir, 'roc.yml'));
  assert.deepEqual([...t.specs.keys()], ['kv1', 'kv2', 'app1', 'app2']);
  assert.deepEqual(t.specs.get('kv1')!.ssh, {
    user: undefined,
    port: undefined,
    identityFile: undefined,
    configHost: 'kv1',
    configFile: join(dir, 'vagrant.ssh'),
    sudo: false,
  });
  assert.equal(t.specs.get('kv2')!.source, `ssh_config ${join(dir, 'vagrant.ssh')}`);
  assert.deepEqual(
    [t.specs.get('app2')!.host, t.specs.get('app2')!.ssh?.user, t.specs.get('app2')!.roles],
    ['10.1.0.6', 'admin', ['web']],
  );
  t.close();
});

test('an inventory that cannot be read, or says what is not read, is a topology problem naming it', async () => {
  const dir = folder({
    'ranges.ini': '[web]\nweb[1:3] ansible_host=10.0.0.1\n',
    'roc.yml': 'inventories: [{ ansible: missing.ini }, { ansible: ranges.ini }, { chef: x }]\n',
  });
  const err = await rejection(Promise.resolve().then(() => loadTopology(join(dir, 'roc.yml'))));
  assert.ok(err instanceof TopologyError);
  assert.equal(
    err.message,
    [
      `${join(dir, 'roc.yml')}:1: inventories[0]: ansible inventory ${join(dir, 'missing.ini')}: no such file`,
      `${join(dir, 'roc.yml')}:1: inventories[1]: ansible inventory ${join(dir, 'ranges.ini')}: ${join(dir, 'ranges.ini')}:2: host ranges (web[1:3]) are not read: list the hosts one by one`,
      `${join(dir, 'roc.yml')}:1: inventories[2]: must be one of { ansible: file }, { ssh_config: file }, { terraform: file }`,
      `${join(dir, 'roc.yml')}:1: guests: must map at least one guest name to its settings, e.g. web1: { host: 127.0.1.11 }`,
    ].join('\n'),
  );
});

test('roc ping says where each guest came from', async () => {
  await using agent = await startAgentProcess(['-p', '0']);
  const dir = folder({
    'tf.json': JSON.stringify({ web: { value: { app1: '127.0.0.1' } } }),
    'roc.yml': `inventories: [{ terraform: tf.json }]\nguests:\n  app1: { transport: agent, port: ${agent.port} }\n`,
  });
  const { stdout } = await execFileAsync(process.execPath, [
    join(repoRoot, 'dist', 'src', 'cli', 'roc.js'),
    'ping',
    '-t',
    join(dir, 'roc.yml'),
  ]);
  const [head, row] = stdout.trim().split('\n');
  assert.match(head!, /^GUEST\s+ENDPOINT\s+STATE\s+VERSION\s+RTT\s+FROM\s+MODULES \/ ERROR$/);
  assert.match(
    row!,
    new RegExp(
      `^app1\\s+127\\.0\\.0\\.1:${agent.port}\\s+up\\s+.*terraform ${join(dir, 'tf.json').replace(/[.]/g, '\\.')}, with roc\\.yml's settings\\s+\\(library only\\)$`,
    ),
  );
});
