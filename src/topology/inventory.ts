import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { named, RocError } from '../wire/errors.js';

/** A guest as an inventory describes it: a topology guest entry (host, roles, transport, ssh), and where it came from. */
export interface InventoryGuest {
  readonly name: string;
  readonly entry: Record<string, unknown>;
  /** `ansible hosts.ini`, `ssh_config vagrant.ssh`, `terraform tf.json`. */
  readonly source: string;
}

/** What an inventory file could not give, and where: the loader makes it a problem of the topology (TopologyError). */
class InventoryProblem extends RocError {
  static {
    named(this, 'InventoryProblem');
  }
}

/** Ansible's connection variables, as a topology's ssh settings. */
function sshOf(vars: Record<string, unknown>): Record<string, unknown> {
  const ssh: Record<string, unknown> = {};
  const user = vars.ansible_user ?? vars.ansible_ssh_user;
  if (user !== undefined) ssh.user = String(user);
  const port = vars.ansible_port ?? vars.ansible_ssh_port;
  if (port !== undefined) ssh.port = Number(port);
  const key = vars.ansible_ssh_private_key_file ?? vars.ansible_private_key_file;
  if (key !== undefined) ssh.identity_file = String(key);
  if (vars.ansible_become === true || vars.ansible_become === 'true' || vars.ansible_become === 'yes') ssh.sudo = true;
  return ssh;
}

/** Groups and hosts, whichever syntax they came in. */
interface Groups {
  /** Each group's own hosts, its vars, its child groups. */
  hosts: Map<string, Set<string>>;
  vars: Map<string, Record<string, unknown>>;
  children: Map<string, Set<string>>;
  hostVars: Map<string, Record<string, unknown>>;
}

const emptyGroups = (): Groups => ({ hosts: new Map(), vars: new Map(), children: new Map(), hostVars: new Map() });
const addTo = <T>(m: Map<string, Set<T>>, k: string, v: T): void => {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
};

/** A value of an INI line as Ansible reads it: quoted, or a number, or true/false, else a string. */
function iniValue(v: string): unknown {
  const q = /^(["'])(.*)\1$/.exec(v);
  if (q) return q[2];
  if (/^\d+$/.test(v)) return Number(v);
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return v;
}

/** `key=value key2="a b"` */
function iniVars(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of text.matchAll(/(\w+)=("[^"]*"|'[^']*'|\S+)/g)) out[m[1]!] = iniValue(m[2]!);
  return out;
}

function parseIni(text: string, file: string): Groups {
  const g = emptyGroups();
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\s[#;].*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const head = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line);
    if (head) {
      section = head[1]!;
      kind = (head[2] as 'vars' | 'children' | undefined) ?? 'hosts';
      if (!g.hosts.has(section)) g.hosts.set(section, new Set());
      return;
    }
    if (kind === 'vars') {
      const m = /^(\w+)\s*=\s*(.*)$/.exec(line);
      if (!m) throw new InventoryProblem(`${file}:${i + 1}: not a variable (name=value): ${line}`);
      g.vars.set(section, { ...g.vars.get(section), [m[1]!]: iniValue(m[2]!.trim()) });
      return;
    }
    if (kind === 'children') {
      addTo(g.children, section, line);
      return;
    }
    const [host, ...rest] = line.split(/\s+/);
    if (/[[\]]/.test(host!))
      throw new InventoryProblem(`${file}:${i + 1}: host ranges (${host}) are not read: list the hosts one by one`);
    addTo(g.hosts, section, host!);
    g.hostVars.set(host!, { ...g.hostVars.get(host!), ...iniVars(rest.join(' ')) });
  });
  return g;
}

function parseYaml(doc: unknown, file: string): Groups {
  const g = emptyGroups();
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const walk = (name: string, node: unknown): void => {
    if (node === null || node === undefined) return;
    if (!isMap(node)) throw new InventoryProblem(`${file}: group ${name} must be a mapping of hosts, vars, children`);
    if (!g.hosts.has(name)) g.hosts.set(name, new Set());
    if (isMap(node.hosts))
      for (const [host, vars] of Object.entries(node.hosts)) {
        addTo(g.hosts, name, host);
        if (isMap(vars)) g.hostVars.set(host, { ...g.hostVars.get(host), ...vars });
      }
    if (isMap(node.vars)) g.vars.set(name, { ...g.vars.get(name), ...node.vars });
    if (isMap(node.children))
      for (const [child, sub] of Object.entries(node.children)) {
        addTo(g.children, name, child);
        walk(child, sub);
      }
  };
  if (!isMap(doc)) throw new InventoryProblem(`${file}: an Ansible YAML inventory is a mapping of groups (all: ...)`);
  for (const [name, node] of Object.entries(doc)) walk(name, node);
  return g;
}

/**
 * An Ansible inventory (INI or YAML): every host a guest, over ssh; its
 * groups (but all and ungrouped) its roles; ansible_host, ansible_user,
 * ansible_port and ansible_ssh_private_key_file its address and ssh settings,
 * with vars of all, then of its groups (outer before inner), then its own.
 */
export function ansibleGuests(file: string): InventoryGuest[] {
  const text = readFileSync(file, 'utf8');
  const g =
    /^\s*\[/m.test(text) && !/^\s*all\s*:/m.test(text) ? parseIni(text, file) : parseYaml(yaml.load(text), file);
  // Every group a host is in, through children too, outer groups first.
  const groupsOf = new Map<string, string[]>();
  const visit = (group: string, trail: string[]): void => {
    if (trail.includes(group)) return;
    const path = [...trail, group];
    for (const h of g.hosts.get(group) ?? []) {
      const list = groupsOf.get(h) ?? [];
      for (const x of path) if (!list.includes(x)) list.push(x);
      groupsOf.set(h, list);
    }
    for (const c of g.children.get(group) ?? []) visit(c, path);
  };
  const childGroups = new Set([...g.children.values()].flatMap((s) => [...s]));
  for (const group of g.hosts.keys()) if (!childGroups.has(group)) visit(group, []);
  const out: InventoryGuest[] = [];
  for (const [host, groups] of groupsOf) {
    const vars: Record<string, unknown> = { ...g.vars.get('all') };
    for (const group of groups) Object.assign(vars, g.vars.get(group));
    Object.assign(vars, g.hostVars.get(host));
    const roles = groups.filter((x) => x !== 'all' && x !== 'ungrouped');
    const ssh = sshOf(vars);
    out.push({
      name: host,
      entry: {
        host: String(vars.ansible_host ?? host),
        transport: 'ssh',
        ...(roles.length ? { roles } : {}),
        ...(Object.keys(ssh).length ? { ssh } : {}),
      },
      source: `ansible ${file}`,
    });
  }
  return out;
}

/**
 * An ssh configuration, as `vagrant ssh-config` prints one: every Host (but
 * patterns) a guest, reached through that very file (ssh -F), so its
 * HostName, User, Port and IdentityFile apply as written.
 */
export function sshConfigGuests(file: string, text = readFileSync(file, 'utf8')): InventoryGuest[] {
  const out: InventoryGuest[] = [];
  let current: { name: string; hostName?: string } | undefined;
  const flush = (): void => {
    if (current)
      out.push({
        name: current.name,
        entry: {
          host: current.hostName ?? current.name,
          transport: 'ssh',
          ssh: { config_host: current.name, config_file: file },
        },
        source: `ssh_config ${file}`,
      });
  };
  for (const raw of text.split('\n')) {
    const m = /^\s*(\w+)\s*=?\s*(.+?)\s*$/.exec(raw);
    if (!m || raw.trim().startsWith('#')) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'host') {
      flush();
      const name = m[2]!.split(/\s+/)[0]!;
      current = /[*?!]/.test(name) ? undefined : { name };
    } else if (key === 'hostname' && current) current.hostName = m[2];
  }
  flush();
  return out;
}

/**
 * A Terraform `output -json` file: each output whose value maps names to
 * addresses (`{ "web1": "10.0.0.5" }`) or to settings (`{ "web1": { "host":
 * "10.0.0.5", "user": "ubuntu" } }`) gives those guests, over ssh, with the
 * output's name as their role.
 */
export function terraformGuests(file: string): InventoryGuest[] {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { value?: unknown }>;
  const out: InventoryGuest[] = [];
  for (const [output, { value }] of Object.entries(doc)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      const settings = typeof v === 'string' ? { host: v } : (v as Record<string, unknown>);
      if (typeof settings?.host !== 'string') continue;
      const ssh: Record<string, unknown> = {};
      if (settings.user !== undefined) ssh.user = String(settings.user);
      if (settings.port !== undefined) ssh.port = Number(settings.port);
      if (settings.identity_file !== undefined) ssh.identity_file = String(settings.identity_file);
      out.push({
        name,
        entry: { host: settings.host, transport: 'ssh', roles: [output], ...(Object.keys(ssh).length ? { ssh } : {}) },
        source: `terraform ${file}`,
      });
    }
  }
  return out;
}
