import { randomBytes } from 'node:crypto';
import { type XmlRpcFault } from '../wire/index.js';
import { FaultCode, HANDLE_PATTERN } from '../protocol/index.js';
import { AGENT_DEFAULTS } from './defaults.js';
import { fault } from './faults.js';
import { LeaseTable, type LapsedLease } from './leases.js';
import { disposerOf, disposeWithin } from './dispose.js';

export interface HandleEntry {
  readonly object: object;
  readonly className: string;
  /**
   * Run when the object's last handle goes, whichever way (release, a lapsed
   * lease, the agent closing): a cursor ends its source, a served object's
   * dispose or close() frees what it holds.
   */
  readonly dispose?: () => unknown;
}

/**
 * The objects this run of the agent holds for its callers. Handle names
 * carry a boot id drawn at start, so a handle from an earlier run can never
 * name an object of this one.
 */
export class HandleTable {
  readonly bootId: string;
  readonly maxHandles: number;
  /** Which client's lease owns which handle. */
  readonly leases: LeaseTable;
  private seq = 0;
  private readonly entries = new Map<string, HandleEntry>();
  /** How many live handles name each object: it is disposed when the last goes. */
  readonly #refs = new Map<object, number>();
  /** Disposals under way, by the handle whose release began them. */
  readonly #disposing = new Map<string, Promise<void>>();
  readonly #disposeTimeoutMs: number;
  readonly #log: ((line: string) => void) | undefined;

  constructor(
    options: {
      maxHandles?: number;
      bootId?: string;
      leaseTtlMs?: number;
      disposeTimeoutMs?: number;
      log?: (line: string) => void;
    } = {},
  ) {
    this.bootId = options.bootId ?? randomBytes(4).toString('hex');
    this.maxHandles = options.maxHandles ?? AGENT_DEFAULTS.maxHandles;
    this.leases = new LeaseTable(options.leaseTtlMs);
    this.#disposeTimeoutMs = options.disposeTimeoutMs ?? AGENT_DEFAULTS.disposeTimeoutMs;
    this.#log = options.log;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A new handle for object; with a lease, that client owns it (and it goes when the lease lapses). */
  add(
    object: object,
    className: string,
    lease?: string,
    dispose: (() => unknown) | undefined = disposerOf(object),
  ): string {
    if (this.entries.size >= this.maxHandles) {
      throw fault(
        FaultCode.HANDLE_LIMIT,
        'HandleLimitError',
        `the agent holds ${this.entries.size} live objects, its limit (--max-handles); release objects you no longer need (release(), await using, or drop the proxy)`,
      );
    }
    const handle = `${className}_${this.bootId}_${this.seq++}`;
    this.entries.set(handle, dispose ? { object, className, dispose } : { object, className });
    this.#refs.set(object, (this.#refs.get(object) ?? 0) + 1);
    if (lease !== undefined) this.leases.own(lease, handle);
    return handle;
  }

  /** The live entry, or a fault that says why there is none. */
  get(handle: string): HandleEntry {
    const entry = this.entries.get(handle);
    if (entry) return entry;
    throw this.missing(handle);
  }

  has(handle: string): boolean {
    return this.entries.has(handle);
  }

  isHandleShaped(name: string): boolean {
    return HANDLE_PATTERN.test(name);
  }

  missing(handle: string): XmlRpcFault {
    const m = HANDLE_PATTERN.exec(handle);
    if (m && m[2] !== this.bootId) {
      return fault(
        FaultCode.STALE_HANDLE,
        'StaleHandleError',
        `${handle} was created by an earlier run of this agent (boot ${m[2]}; this run is boot ${this.bootId}): the agent restarted since, and the object is gone; create it again`,
        { handle, bootId: this.bootId },
      );
    }
    return fault(
      FaultCode.UNKNOWN_HANDLE,
      'UnknownHandleError',
      `no live object ${handle} on this agent: it was released, or never created here`,
      { handle, bootId: this.bootId },
    );
  }

  release(handle: string): boolean {
    this.leases.disown(handle);
    return this.#drop(handle);
  }

  /** Releases a handle and waits until its object is disposed (or its dispose's deadline passed). */
  async releaseAndDispose(handle: string): Promise<boolean> {
    const released = this.release(handle);
    await this.#disposing.get(handle);
    return released;
  }

  /** Frees the objects of every lease that lapsed, and says whose they were. */
  releaseLapsed(now = Date.now()): LapsedLease[] {
    const lapsed = this.leases.takeLapsed(now);
    for (const lease of lapsed) for (const h of lease.handles) this.#drop(h);
    return lapsed;
  }

  #drop(handle: string): boolean {
    const entry = this.entries.get(handle);
    if (!entry) return false;
    this.entries.delete(handle);
    const refs = (this.#refs.get(entry.object) ?? 1) - 1;
    if (refs > 0) {
      this.#refs.set(entry.object, refs);
      return true;
    }
    this.#refs.delete(entry.object);
    if (entry.dispose) {
      const done = disposeWithin(`${handle} (${entry.className})`, entry.dispose, this.#disposeTimeoutMs, this.#log);
      this.#disposing.set(handle, done);
      void done.then(() => this.#disposing.delete(handle));
    }
    return true;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Frees every object (the agent is stopping) and waits for their disposals, each within its deadline. */
  async clear(): Promise<void> {
    for (const handle of [...this.entries.keys()]) this.#drop(handle);
    this.leases.clear();
    await Promise.all(this.#disposing.values());
  }
}
