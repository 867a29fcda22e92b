import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { DEFAULT_AGENT_PORT, DEFAULT_GUEST_TIMEOUT_MS } from '../protocol/index.js';
import { parseDuration } from './duration.js';
import { labTokenFile } from './find.js';
import { ansibleGuests, sshConfigGuests, terraformGuests } from './inventory.js';
import { named, RocError } from '../wire/errors.js';

/** One guest, with defaults applied and paths made absolute. */
export interface GuestSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly roles: readonly string[];
  /** Modules the guest's agent serves (absolute paths on the host's checkout). */
  readonly modules: readonly string[];
  readonly tokenFile: string | undefined;
  readonly timeoutMs: number;
  readonly tls: { ca?: string; cert?: string; key?: string } | undefined;
  /** Log files on the guest (absolute paths there) whose last lines a failed test's report carries. */
  readonly logs: readonly string[];
  /** Provisioning settings the Vagrantfile reads: the box, its size, and whether the agent may make faults (install-agent.sh --faults). */
  readonly vagrant: { box?: string; memory?: number; cpus?: number; faults?: boolean; packages?: readonly string[] };
  /**
   * How the host reaches the guest's agent: `agent` (an agent already
   * listens at host:port), `ssh` (started over ssh), `vagrant` (over ssh as
   * `vagrant ssh-config` of the machine of that name says).
   */
  readonly transport: 'agent' | 'ssh' | 'vagrant';
  /** For `transport: ssh`: how to log in, and whether the agent runs through `sudo -n`. */
  readonly ssh: SshSettings | undefined;
  /** Where the guest came from: `the topology`, or an inventory (`ansible hosts.ini`), its settings merged over. */
  readonly source: string;
}

/** A guest reached over ssh with nothing installed: the system's OpenSSH client, as the user has it set up. */
export interface SshSettings {
  /** The login user (default: ssh's, from ~/.ssh/config or the current user). */
  readonly user?: string;
  /** The ssh port (default: ssh's). */
  readonly port?: number;
  readonly identityFile?: string;
  /** A Host of the ssh configuration to connect to instead of `host` (its HostName, User, ProxyJump... apply). */
  readonly configHost?: string;
  /** An ssh configuration file instead of ~/.ssh/config (ssh -F). */
  readonly configFile?: string;
  /** Run the agent as root through `sudo -n` (for the nemesis and services). */
  readonly sudo: boolean;
}

export interface TopologyData {
  readonly file: string;
  readonly guests: ReadonlyMap<string, GuestSpec>;
}

export interface Problem {
  readonly line: number;
  readonly key: string;
  readonly message: string;
}

export class TopologyError extends RocError {
  static {
    named(this, 'TopologyError');
  }
  readonly file: string;
  readonly problems: readonly Problem[];
  constructor(file: string, problems: readonly Problem[]) {
    super(problems.map((p) => `${file}:${p.line}: ${p.key}: ${p.message}`).join('\n'));
    this.file = file;
    this.problems = problems;
  }
}

const TOP_KEYS = ['defaults', 'guests', 'inventories'];
const INVENTORY_KINDS = ['ansible', 'ssh_config', 'terraform'] as const;
const GUEST_KEYS = [
  'host',
  'port',
  'roles',
  'modules',
  'token_file',
  'timeout',
  'tls',
  'box',
  'memory',
  'cpus',
  'faults',
  'logs',
  'packages',
  'transport',
  'ssh',
];
const SSH_KEYS = ['user', 'port', 'identity_file', 'config_host', 'config_file', 'sudo'];
// defaults: may set every guest key but the guest's own address.
const DEFAULT_KEYS = GUEST_KEYS.filter((k) => k !== 'host');
const TLS_KEYS = ['ca', 'cert', 'key'];
const GUEST_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The line a key path stands on: each key is searched for after the one
 * before it, which finds block and flow style alike (`web1: { host: x }`).
 */
export function lineOf(text: string, path: readonly (string | number)[]): number {
  let pos = 0;
  let found = -1;
  for (const seg of path) {
    if (typeof seg === 'number') continue;
    const re = new RegExp(`(?:^|[\\s{,])["']?${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`, 'gm');
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) break;
    found = m.index + (m[0].length - m[0].trimStart().length);
    pos = m.index + m[0].length;
  }
  if (found < 0) return 1;
  return text.slice(0, found).split('\n').length;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and checks a topology file; every problem is reported with its file, line and key. */
export function parseTopology(file: string, options: { checkTokenFiles?: boolean } = {}): TopologyData {
  const abs = resolve(file);
  const dir = dirname(abs);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new TopologyError(abs, [
      {
        line: 0,
        key: '(file)',
        message: `cannot read it: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      },
    ]);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: abs, schema: yaml.CORE_SCHEMA });
  } catch (err) {
    const e = err as { mark?: { line: number }; reason?: string; message: string };
    throw new TopologyError(abs, [{ line: (e.mark?.line ?? 0) + 1, key: '(yaml)', message: e.reason ?? e.message }]);
  }
  const problems: Problem[] = [];
  const problem = (path: (string | number)[], message: string): void => {
    const key = path
      .map((p) => (typeof p === 'number' ? `[${p}]` : p))
      .join('.')
      .replace(/\.\[/g, '[');
    // A problem in defaults shows up once per guest that inherits it; say it once.
    if (problems.some((p) => p.key === key && p.message === message)) return;
    problems.push({
      line: lineOf(text, path),
      key: path
        .map((p) => (typeof p === 'number' ? `[${p}]` : p))
        .join('.')
        .replace(/\.\[/g, '['),
      message,
    });
  };
  if (!isMap(doc)) {
    throw new TopologyError(abs, [
      { line: 1, key: '(top)', message: 'a topology is a mapping with a guests: section' },
    ]);
  }
  for (const key of Object.keys(doc))
    if (!TOP_KEYS.includes(key)) problem([key], `unknown key (expected ${TOP_KEYS.join(', ')})`);

  const checkKeys = (obj: Record<string, unknown>, path: string[], allowed: string[]): void => {
    for (const key of Object.keys(obj))
      if (!allowed.includes(key)) problem([...path, key], `unknown key (expected ${allowed.join(', ')})`);
  };
  const defaults = doc.defaults === undefined ? {} : doc.defaults;
  if (!isMap(defaults)) problem(['defaults'], 'must be a mapping');
  else checkKeys(defaults, ['defaults'], DEFAULT_KEYS);
  const d = isMap(defaults) ? defaults : {};

  const path = (p: string): string => (isAbsolute(p) ? p : join(dir, p));

  // Guests from inventories first; the topology's own entries are merged over them, name by name.
  const fromInventories = new Map<string, { entry: Record<string, unknown>; source: string }>();
  if (doc.inventories !== undefined) {
    if (!Array.isArray(doc.inventories))
      problem(
        ['inventories'],
        'must be a list such as [{ ansible: hosts.ini }, { ssh_config: vagrant.ssh }, { terraform: tf.json }]',
      );
    else
      doc.inventories.forEach((inv: unknown, i: number) => {
        const kind = isMap(inv) && Object.keys(inv).length === 1 ? (Object.keys(inv)[0] as string) : undefined;
        const file = kind && isMap(inv) ? inv[kind] : undefined;
        if (!kind || !(INVENTORY_KINDS as readonly string[]).includes(kind) || typeof file !== 'string') {
          problem(['inventories', i], `must be one of { ansible: file }, { ssh_config: file }, { terraform: file }`);
          return;
        }
        try {
          const read = kind === 'ansible' ? ansibleGuests : kind === 'ssh_config' ? sshConfigGuests : terraformGuests;
          for (const g of read(path(file))) fromInventories.set(g.name, { entry: g.entry, source: g.source });
        } catch (err) {
          problem(
            ['inventories', i],
            `${kind} inventory ${path(file)}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
          );
        }
      });
  }
  const ownGuests = doc.guests === undefined && fromInventories.size ? {} : doc.guests;
  if (!isMap(ownGuests) || Object.keys(ownGuests).length + fromInventories.size === 0) {
    problem(['guests'], 'must map at least one guest name to its settings, e.g. web1: { host: 127.0.1.11 }');
    throw new TopologyError(abs, problems);
  }
  const guestsNode: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [name, { entry, source }] of fromInventories) {
    const own = ownGuests[name];
    guestsNode[name] = isMap(own)
      ? {
          ...entry,
          ...own,
          ...(isMap(entry.ssh) || isMap(own.ssh) ? { ssh: { ...(entry.ssh as object), ...(own.ssh as object) } } : {}),
        }
      : entry;
    sources.set(name, isMap(own) ? `${source}, with ${basename(abs)}'s settings` : source);
  }
  for (const [name, own] of Object.entries(ownGuests)) if (!(name in guestsNode)) guestsNode[name] = own;
  const stringList = (value: unknown, where: (string | number)[]): string[] | undefined => {
    if (value === undefined) return undefined;
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || !x)) {
      problem(where, 'must be a list of names');
      return undefined;
    }
    return list as string[];
  };

  const guests = new Map<string, GuestSpec>();
  const taken = new Map<string, string>();
  for (const [name, raw] of Object.entries(guestsNode)) {
    const at = ['guests', name];
    if (!GUEST_NAME.test(name))
      problem(at, 'a guest name starts with a letter and holds only letters, digits, - and _ (at most 32)');
    if (!isMap(raw)) {
      problem(at, 'must be a mapping with at least host:');
      continue;
    }
    checkKeys(raw, at, GUEST_KEYS);
    const pick = (key: string): unknown => (raw[key] !== undefined ? raw[key] : d[key]);
    const from = (key: string): (string | number)[] => (raw[key] !== undefined ? [...at, key] : ['defaults', key]);

    const host = raw.host;
    if (typeof host !== 'string' || !host) problem(at, 'host: is missing (an IP address or host name)');
    else if (!isIP(host) && (!HOST_NAME.test(host) || /^[\d.]+$/.test(host)))
      problem([...at, 'host'], `${JSON.stringify(host)} is not an IP address or host name`);

    const portValue = pick('port') ?? DEFAULT_AGENT_PORT;
    const port =
      typeof portValue === 'number' && Number.isInteger(portValue) && portValue >= 1 && portValue <= 65535
        ? portValue
        : undefined;
    if (port === undefined) problem(from('port'), `${JSON.stringify(portValue)} is not a port (1 to 65535)`);

    // A guest reached over ssh runs its agent on its own 127.0.0.1, on a port it picks: no port to share.
    if (typeof host === 'string' && port !== undefined && (pick('transport') ?? 'agent') === 'agent') {
      const endpoint = `${host}:${port}`;
      const other = taken.get(endpoint);
      if (other)
        problem(
          raw.port !== undefined ? [...at, 'port'] : [...at, 'host'],
          `${endpoint} is already guest ${other}'s; give each guest on one host its own port`,
        );
      else taken.set(endpoint, name);
    }

    const roles = stringList(raw.roles, [...at, 'roles']) ?? stringList(d.roles, ['defaults', 'roles']) ?? [];
    const modules = [
      ...(stringList(d.modules, ['defaults', 'modules']) ?? []),
      ...(stringList(raw.modules, [...at, 'modules']) ?? []),
    ].map(path);
    for (const m of modules)
      if (!existsSync(m))
        problem(raw.modules !== undefined ? [...at, 'modules'] : ['defaults', 'modules'], `module ${m} does not exist`);

    const logs = [
      ...(stringList(d.logs, ['defaults', 'logs']) ?? []),
      ...(stringList(raw.logs, [...at, 'logs']) ?? []),
    ];
    for (const l of logs)
      if (!l.startsWith('/'))
        problem(
          raw.logs !== undefined ? [...at, 'logs'] : ['defaults', 'logs'],
          `${l}: a log is an absolute path on the guest`,
        );

    const tokenValue = pick('token_file');
    let tokenFile: string | undefined;
    if (tokenValue !== undefined) {
      if (typeof tokenValue !== 'string' || !tokenValue) problem(from('token_file'), 'must be a path');
      else {
        tokenFile = path(tokenValue);
        if (options.checkTokenFiles !== false && !existsSync(tokenFile))
          problem(from('token_file'), `${tokenFile} does not exist (make one with: roc token ${tokenFile})`);
      }
    } else if (existsSync(labTokenFile(abs))) tokenFile = labTokenFile(abs);

    const timeoutValue = pick('timeout');
    const timeoutMs = timeoutValue === undefined ? DEFAULT_GUEST_TIMEOUT_MS : parseDuration(timeoutValue);
    if (timeoutMs === undefined || timeoutMs <= 0)
      problem(from('timeout'), `${JSON.stringify(timeoutValue)} is not a duration (like 10s, 500ms or 2m)`);

    const tlsValue = pick('tls');
    let tls: GuestSpec['tls'];
    if (tlsValue !== undefined) {
      if (!isMap(tlsValue)) problem(from('tls'), 'must be a mapping of ca, cert, key paths');
      else {
        checkKeys(tlsValue, from('tls') as string[], TLS_KEYS);
        tls = Object.fromEntries(
          TLS_KEYS.filter((k) => typeof tlsValue[k] === 'string').map((k) => [k, path(tlsValue[k] as string)]),
        );
      }
    }
    const vagrant: GuestSpec['vagrant'] = {};
    const box = pick('box');
    if (box !== undefined) {
      if (typeof box !== 'string') problem(from('box'), 'must be a box name');
      else vagrant.box = box;
    }
    const faults = pick('faults');
    if (faults !== undefined) {
      if (typeof faults !== 'boolean') problem(from('faults'), 'must be true or false');
      else vagrant.faults = faults;
    }
    const packages = [
      ...(stringList(d.packages, ['defaults', 'packages']) ?? []),
      ...(stringList(raw.packages, [...at, 'packages']) ?? []),
    ];
    for (const p of packages)
      if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p))
        problem(
          raw.packages !== undefined ? [...at, 'packages'] : ['defaults', 'packages'],
          `${JSON.stringify(p)} is not a Debian package name`,
        );
    if (packages.length) vagrant.packages = packages;
    for (const key of ['memory', 'cpus'] as const) {
      const v = pick(key);
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) problem(from(key), 'must be a positive whole number');
      else vagrant[key] = v;
    }
    const transportValue = pick('transport') ?? 'agent';
    if (transportValue !== 'agent' && transportValue !== 'ssh' && transportValue !== 'vagrant')
      problem(
        from('transport'),
        `${JSON.stringify(transportValue)} is not a transport: agent (the default), ssh or vagrant`,
      );
    const transport = transportValue === 'ssh' || transportValue === 'vagrant' ? transportValue : 'agent';
    const sshValue = pick('ssh');
    let ssh: SshSettings | undefined;
    if (sshValue !== undefined && !isMap(sshValue))
      problem(from('ssh'), 'must be a mapping of user, port, identity_file, config_host, config_file, sudo');
    else if (transport !== 'agent' || sshValue !== undefined) {
      const v = (sshValue ?? {}) as Record<string, unknown>;
      if (sshValue !== undefined) checkKeys(v, from('ssh') as string[], SSH_KEYS);
      const at2 = (k: string): (string | number)[] => [...from('ssh'), k];
      const str = (k: string): string | undefined => {
        if (v[k] === undefined) return undefined;
        if (typeof v[k] !== 'string' || !v[k]) problem(at2(k), 'must be a string');
        return typeof v[k] === 'string' ? (v[k] as string) : undefined;
      };
      if (v.port !== undefined && (!Number.isInteger(v.port) || (v.port as number) < 1 || (v.port as number) > 65535))
        problem(at2('port'), 'must be a port from 1 to 65535');
      if (v.sudo !== undefined && typeof v.sudo !== 'boolean') problem(at2('sudo'), 'must be true or false');
      // ~/ as ssh reads it: the user's home; other relative paths from the topology's folder.
      const file = (p: string): string => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : path(p));
      const identity = str('identity_file');
      const config = str('config_file');
      ssh = {
        user: str('user'),
        port: typeof v.port === 'number' ? v.port : undefined,
        identityFile: identity === undefined ? undefined : file(identity),
        configHost: str('config_host'),
        configFile: config === undefined ? undefined : file(config),
        sudo: v.sudo === true,
      };
      if (transport === 'agent') problem(from('ssh'), 'is read only with transport: ssh or vagrant');
    }
    guests.set(name, {
      name,
      source: sources.get(name) ?? 'the topology',
      transport,
      ssh,
      host: String(host),
      port: port ?? DEFAULT_AGENT_PORT,
      roles,
      modules,
      logs,
      tokenFile,
      timeoutMs: timeoutMs ?? DEFAULT_GUEST_TIMEOUT_MS,
      tls,
      vagrant,
    });
  }
  if (problems.length)
    throw new TopologyError(
      abs,
      problems.sort((a, b) => a.line - b.line),
    );
  return { file: abs, guests };
}

export { findTopologyFile, labTokenFile } from './find.js';
