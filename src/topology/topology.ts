import { Guest } from './guest.js';
import { GuestGroup } from './group.js';
import { findTopologyFile, parseTopology, type GuestSpec } from './load.js';
import { UnknownGuestError } from './errors.js';
import { Nemesis } from './nemesis.js';

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

/** A loaded topology: guests by name, with one Guest (and so one proxy) per name. */
export class Topology {
  readonly file: string;
  readonly specs: ReadonlyMap<string, GuestSpec>;
  private readonly cache = new Map<string, Guest>();

  constructor(file: string, specs: ReadonlyMap<string, GuestSpec>) {
    this.file = file;
    this.specs = specs;
  }

  get names(): string[] {
    return [...this.specs.keys()];
  }

  get roles(): string[] {
    return [...new Set([...this.specs.values()].flatMap((s) => s.roles))].sort();
  }

  guest<M = unknown>(name: string): Guest<M> {
    const spec = this.specs.get(name);
    if (!spec)
      throw new UnknownGuestError(
        `no guest ${JSON.stringify(name)} in ${this.file}; its guests are ${this.names.join(', ')}`,
        { selector: name, file: this.file, known: this.names },
      );
    let g = this.cache.get(name);
    if (!g) {
      g = new Guest(spec, this.file);
      this.cache.set(name, g);
    }
    return g as Guest<M>;
  }

  /**
   * Guests by selector: `role:web`, a name or glob (`web*`), several of
   * these joined by commas, or nothing (or `*`) for all.
   */
  select(selector = '*'): GuestSpec[] {
    const picked = new Set<string>();
    for (const part of selector
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      let matched = 0;
      for (const spec of this.specs.values()) {
        const hit = part.startsWith('role:') ? spec.roles.includes(part.slice(5)) : globToRegExp(part).test(spec.name);
        if (hit) {
          picked.add(spec.name);
          matched++;
        }
      }
      if (!matched) {
        const role = part.startsWith('role:');
        throw new UnknownGuestError(
          role
            ? `no guest in ${this.file} has role ${JSON.stringify(part.slice(5))}; the roles are ${this.roles.join(', ') || '(none)'}`
            : `no guest in ${this.file} matches ${JSON.stringify(part)}; its guests are ${this.names.join(', ')}`,
          { selector: part, file: this.file, known: role ? this.roles : this.names },
        );
      }
    }
    return [...this.specs.values()].filter((s) => picked.has(s.name));
  }

  guests(selector = '*'): GuestGroup {
    return new GuestGroup(
      selector,
      this.select(selector).map((s) => this.guest(s.name)),
    );
  }

  #nemesis: Nemesis | undefined;

  /** Real faults between this topology's guests: `await topology.nemesis.isolate('n1')`. */
  get nemesis(): Nemesis {
    this.#nemesis ??= new Nemesis(this);
    return this.#nemesis;
  }

  /** Closes every guest's connections; a guest used again afterwards connects again. */
  close(): void {
    for (const g of this.cache.values()) g.close();
  }

  /** `await using topology = loadTopology(...)` closes every guest's connections at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/** Loads and checks a topology file (default: ROC_TOPOLOGY, or roc.yml here or in a parent). */
export function loadTopology(path?: string, options?: { checkTokenFiles?: boolean }): Topology {
  const data = parseTopology(path ?? findTopologyFile(), options);
  return new Topology(data.file, data.guests);
}

let current: Topology | undefined;

/** The topology guest() and guests() use; loaded on first use unless set here. */
export function useTopology(topology: Topology | string | undefined): Topology | undefined {
  current?.close();
  current = typeof topology === 'string' ? loadTopology(topology) : topology;
  return current;
}

export function defaultTopology(): Topology {
  current ??= loadTopology();
  return current;
}

/**
 * The nemesis of the default topology (ROC_TOPOLOGY or roc.yml):
 * `await nemesis.partition([['n1'], ['n2', 'n3']], { ttl: '30s' })`.
 */
export const nemesis: Nemesis = new Proxy({} as Nemesis, {
  get(_target, key) {
    const real = defaultTopology().nemesis;
    const value = Reflect.get(real, key, real) as unknown;
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
  },
});

/** A guest of the default topology by name: `guest('web1').module.RemoteClass(1, 2, 3)`. */
export function guest<M = unknown>(name: string): Guest<M> {
  return defaultTopology().guest<M>(name);
}

/** Guests of the default topology: `guests('role:web')`, `guests('web*')`, `guests()`. */
export function guests(selector?: string): GuestGroup {
  return defaultTopology().guests(selector);
}
