import { RemoteError } from '../client/index.js';
import { ConnectionError, named, RocError } from '../wire/index.js';
import { durationMs, parseDuration } from './duration.js';
import { grudgeOf, halves, isolateOne, majoritiesRing, type Grudge } from './nemesis-shapes.js';
import type { Guest } from './guest.js';
import type { Topology } from './topology.js';
import type { FaultInfo, KillResult, ProcessTarget } from '../guestlib/types.js';

/** A duration as the topology writes them (`'30s'`, `'2m'`), or milliseconds. */
export type Duration = string | number;

export interface FaultCallOptions {
  /** How long the fault lives before the guests heal it by themselves (default 10 minutes). */
  ttl?: Duration;
}

/** One guest's share of a fault: the id its agent gave it. */
export interface FaultPart {
  readonly guest: string;
  readonly id: string;
  readonly info: FaultInfo;
}

/** A fault made through the nemesis, on one guest or several; heal() undoes it everywhere, once. */
export class Fault implements AsyncDisposable {
  readonly kind: string;
  /** What it does, for logs and reports. */
  readonly description: string;
  readonly parts: readonly FaultPart[];
  /** When it was in place on every guest, in epoch milliseconds (for a run report's timeline). */
  readonly startedAt: number;
  /** When its heal finished, in epoch milliseconds; undefined while it is live. */
  healedAt: number | undefined;
  #healed: Promise<void> | undefined;
  readonly #nemesis: Nemesis;

  constructor(nemesis: Nemesis, kind: string, description: string, parts: readonly FaultPart[]) {
    this.#nemesis = nemesis;
    this.kind = kind;
    this.description = description;
    this.parts = parts;
    this.startedAt = Date.now();
  }

  get healed(): boolean {
    return this.#healed !== undefined;
  }

  /** Undoes the fault on every guest it is on (a guest where it lapsed already is fine). */
  heal(): Promise<void> {
    this.#healed ??= this.#nemesis.healParts(this).then(() => {
      this.healedAt = Date.now();
    });
    return this.#healed;
  }

  /** What a report needs: what it was, and when, in epoch milliseconds. */
  toJSON(): { kind: string; description: string; startedAt: number; healedAt: number | undefined } {
    return { kind: this.kind, description: this.description, startedAt: this.startedAt, healedAt: this.healedAt };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.heal();
  }

  toString(): string {
    return `Fault<${this.description}>`;
  }
}

/** A fault one or more guests refused; the others were rolled back, so no part of it is left anywhere. */
/** Each reason once, with the guests that gave it: `n1, n2 refused: ...; n3 refused: ...`. */
function refusedBy(refusals: NemesisError['refusals']): string {
  const byReason = new Map<string, string[]>();
  for (const r of refusals) {
    const why = r.error instanceof RemoteError ? r.error.remoteMessage : r.error.message;
    byReason.set(why, [...(byReason.get(why) ?? []), r.guest]);
  }
  return [...byReason].map(([why, guests]) => `${guests.join(', ')} refused: ${why}`).join('; ');
}

export class NemesisError extends RocError {
  static {
    named(this, 'NemesisError');
  }
  /** Each guest that refused, with why (the agent's reason, e.g. `shared-stack`, when it gave one). */
  declare readonly refusals: readonly { guest: string; reason: string; error: Error }[];
  /** Guests where the fault was made and then undone. */
  readonly rolledBack: readonly string[];
  constructor(what: string, refusals: NemesisError['refusals'], rolledBack: readonly string[]) {
    super(
      `${what} was not made: ${refusedBy(refusals)}` +
        (rolledBack.length ? `; undone on ${rolledBack.join(', ')}, so no part of it is left` : ''),
      { cause: refusals[0]?.error },
    );
    this.guest = refusals[0]?.guest;
    // Readable, but not printed with the error: the message names each guest and its reason already.
    Object.defineProperty(this, 'refusals', { value: refusals, enumerable: false });
    this.rolledBack = rolledBack;
  }
  override readonly guest: string | undefined;
}

const DEFAULT_TTL_MS = 10 * 60_000;

function ttlMs(options: FaultCallOptions | undefined): number {
  return options?.ttl === undefined ? DEFAULT_TTL_MS : durationMs(options.ttl, 'ttl');
}

/** `'+30s'`, `'-5m'`, `'1500ms'` or a number of ms. */
function offsetMs(offset: Duration): number {
  if (typeof offset === 'number' && Number.isFinite(offset) && offset !== 0) return offset;
  const m = typeof offset === 'string' ? /^\s*([+-])?\s*(.+)$/.exec(offset) : null;
  const ms = m ? parseDuration(m[2]) : undefined;
  if (!m || ms === undefined || ms === 0)
    throw new TypeError(
      `clock offset: expected a duration such as '+30s' or '-5m', or a number of ms, got ${JSON.stringify(offset)}`,
    );
  return m[1] === '-' ? -ms : ms;
}

const reasonOf = (err: Error): string =>
  err instanceof RemoteError && typeof err.remoteFields.reason === 'string' ? err.remoteFields.reason : err.name;

/**
 * Real faults between the topology's guests, named by guest: each guest's
 * agent makes its part on its own machine and heals it by itself when its
 * TTL passes. A fault on several guests is all or nothing.
 */
export class Nemesis {
  readonly #topology: Topology;
  readonly #live = new Set<Fault>();

  /** Partition shapes: `nemesis.partition(nemesis.shapes.halves(names))`. */
  readonly shapes = { halves, isolateOne, majoritiesRing };

  constructor(topology: Topology) {
    this.#topology = topology;
  }

  #guest(name: string): Guest {
    return this.#topology.guest(name);
  }

  /** Runs one step per guest at once; if any refuses, undoes the others and throws a NemesisError. */
  async #allOrNothing(
    kind: string,
    description: string,
    steps: readonly { guest: string; make: (g: Guest) => Promise<FaultInfo> }[],
  ): Promise<Fault> {
    const settled = await Promise.allSettled(steps.map((s) => s.make(this.#guest(s.guest))));
    const made: FaultPart[] = [];
    const refusals: { guest: string; reason: string; error: Error }[] = [];
    settled.forEach((r, i) => {
      const guest = steps[i]!.guest;
      if (r.status === 'fulfilled') made.push({ guest, id: r.value.id, info: r.value });
      else {
        const error = r.reason instanceof Error ? r.reason : new Error(String(r.reason));
        refusals.push({ guest, reason: reasonOf(error), error });
      }
    });
    if (refusals.length) {
      await Promise.allSettled(made.map((p) => this.#guest(p.guest).lib.faults.heal([p.id])));
      throw new NemesisError(
        description,
        refusals,
        made.map((p) => p.guest),
      );
    }
    const fault = new Fault(this, kind, description, made);
    this.#live.add(fault);
    return fault;
  }

  /**
   * Called by Fault.heal(). A guest where nothing listens on the agent's port
   * counts as healed: an agent removes its rules as it stops, a killed one as
   * it starts again (and with nftables the kernel drops each at its TTL meanwhile).
   */
  async healParts(fault: Fault): Promise<void> {
    this.#live.delete(fault);
    const results = await Promise.allSettled(fault.parts.map((p) => this.#guest(p.guest).lib.faults.heal([p.id])));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' && !(r.reason instanceof ConnectionError && r.reason.reason === 'refused')
        ? [`${fault.parts[i]!.guest}: ${(r.reason as Error).message}`]
        : [],
    );
    if (failed.length)
      throw new RocError(`healing ${fault.description} failed on ${failed.join('; ')} (its TTL still heals it there)`);
  }

  #hosts(names: readonly string[]): string[] {
    return names.map((n) => this.#guest(n).spec.host);
  }

  /**
   * Cuts the links between groups, both ways; each group keeps its own
   * links. Or, with a grudge (majoritiesRing), each guest drops the guests listed for it.
   */
  partition(shape: readonly (readonly string[])[] | Grudge, options?: FaultCallOptions): Promise<Fault> {
    const ttl = ttlMs(options);
    const grudge = Array.isArray(shape) ? grudgeOf(shape as readonly (readonly string[])[]) : (shape as Grudge);
    for (const name of Object.keys(grudge)) this.#guest(name); // unknown names fail here, before any fault
    const description = Array.isArray(shape)
      ? `partition ${(shape as readonly (readonly string[])[]).map((g) => g.join(', ')).join(' | ')}`
      : `partition ${Object.entries(grudge)
          .map(([g, d]) => `${g} x ${d.join(', ') || '-'}`)
          .join('; ')}`;
    const steps = Object.entries(grudge)
      .filter(([, drops]) => drops.length > 0)
      .map(([guest, drops]) => ({
        guest,
        make: (g: Guest) => g.lib.faults.block(this.#hosts(drops), { direction: 'in', ttlMs: ttl, label: description }),
      }));
    return this.#allOrNothing('partition', description, steps);
  }

  /** One guest cut from all the others, both ways. */
  isolate(name: string, options?: FaultCallOptions): Promise<Fault> {
    return this.partition(isolateOne(this.#topology.names, name), options);
  }

  /** Packets from `from` to `to` dropped (as they arrive at `to`); both ways unless oneWay. */
  cut(from: string, to: string, options?: FaultCallOptions & { oneWay?: boolean }): Promise<Fault> {
    const ttl = ttlMs(options);
    const description = `cut ${from} ${options?.oneWay ? '->' : '<->'} ${to}`;
    const steps = [
      {
        guest: to,
        make: (g: Guest) =>
          g.lib.faults.block(this.#hosts([from]), { direction: 'in', ttlMs: ttl, label: description }),
      },
    ];
    if (!options?.oneWay)
      steps.push({
        guest: from,
        make: (g: Guest) => g.lib.faults.block(this.#hosts([to]), { direction: 'in', ttlMs: ttl, label: description }),
      });
    return this.#allOrNothing('cut', description, steps);
  }

  /** Each named guest drops a share of the packets it gets from the peers (default: every other guest). */
  async loss(
    names: string | readonly string[],
    options: FaultCallOptions & { percent: number; peers?: readonly string[] },
  ): Promise<Fault> {
    if (!Number.isInteger(options?.percent) || options.percent < 1 || options.percent > 99)
      throw new TypeError(
        `nemesis.loss: percent is a whole number from 1 to 99 (all packets lost is a partition: nemesis.partition or nemesis.cut), got ${JSON.stringify(options?.percent)}`,
      );
    const ttl = ttlMs(options);
    const list = typeof names === 'string' ? [names] : names;
    const description = `loss ${options.percent}% at ${list.join(', ')}${options.peers ? ` from ${options.peers.join(', ')}` : ''}`;
    const steps = list.map((guest) => ({
      guest,
      make: (g: Guest) => {
        const peers = (options.peers ?? this.#topology.names).filter((p) => p !== guest);
        return g.lib.faults.loss(this.#hosts(peers), options.percent, {
          direction: 'in',
          ttlMs: ttl,
          label: description,
        });
      },
    }));
    return this.#allOrNothing('loss', description, steps);
  }

  /** Each named guest delays what it sends to the peers (default: every other guest), with tc netem. */
  delay(
    names: string | readonly string[],
    options: FaultCallOptions & { ms: number; jitterMs?: number; peers?: readonly string[] },
  ): Promise<Fault> {
    const ttl = ttlMs(options);
    const list = typeof names === 'string' ? [names] : names;
    const description = `delay ${options.ms} ms at ${list.join(', ')}`;
    const steps = list.map((guest) => ({
      guest,
      make: (g: Guest) => {
        const peers = (options.peers ?? this.#topology.names).filter((p) => p !== guest);
        return g.lib.faults.delay(this.#hosts(peers), options.ms, {
          jitterMs: options.jitterMs,
          ttlMs: ttl,
          label: description,
        });
      },
    }));
    return this.#allOrNothing('delay', description, steps);
  }

  /** Stops a process on a guest (SIGSTOP) until healed (SIGCONT). */
  pause(name: string, target: ProcessTarget & FaultCallOptions): Promise<Fault> {
    const ttl = ttlMs(target);
    const { pid, process, unit } = target;
    const description = `pause ${process ?? unit ?? `pid ${pid}`} on ${name}`;
    return this.#allOrNothing('pause', description, [
      { guest: name, make: (g) => g.lib.faults.pause({ pid, process, unit }, { ttlMs: ttl, label: description }) },
    ]);
  }

  /** Sends a signal (default SIGKILL) to a process on a guest. Nothing to heal; resolves with what was signalled. */
  async kill(name: string, target: ProcessTarget & { signal?: string }): Promise<KillResult & { guest: string }> {
    const { pid, process, unit } = target;
    const signal = target.signal ?? 'SIGKILL';
    try {
      return { guest: name, ...(await this.#guest(name).lib.faults.kill({ pid, process, unit }, signal)) };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      // Refused like every other fault: a NemesisError that names the guest and why.
      throw new NemesisError(
        `kill (${signal}) of ${process ?? unit ?? `pid ${pid}`} on ${name}`,
        [{ guest: name, reason: reasonOf(error), error }],
        [],
      );
    }
  }

  /** Moves a guest's clock (`'+30s'`, `'-5m'`), and back when healed. */
  clock(name: string, options: FaultCallOptions & { offset: Duration }): Promise<Fault> {
    const ttl = ttlMs(options);
    const ms = offsetMs(options.offset);
    const description = `clock ${ms > 0 ? '+' : ''}${ms} ms on ${name}`;
    return this.#allOrNothing('clock', description, [
      { guest: name, make: (g) => g.lib.faults.clock(ms, { ttlMs: ttl, label: description }) },
    ]);
  }

  /** Heals every fault made through this nemesis that is still live; resolves with how many. */
  async heal(): Promise<number> {
    const faults = [...this.#live];
    const results = await Promise.allSettled(faults.map((f) => f.heal()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw failed[0]!.reason;
    return faults.length;
  }

  /** The live faults on each guest (made by anyone), by guest; a guest that does not answer has its error instead. */
  async status(): Promise<Record<string, FaultInfo[] | Error>> {
    const names = this.#topology.names;
    const results = await Promise.allSettled(names.map((n) => this.#guest(n).lib.faults.status()));
    return Object.fromEntries(
      results.map((r, i) => [names[i]!, r.status === 'fulfilled' ? r.value : (r.reason as Error)]),
    );
  }
}
