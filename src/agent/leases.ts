import { DEFAULT_LEASE_TTL_MS } from '../protocol/index.js';

/**
 * Which client owns which objects, and until when. A ROC client sends its
 * lease id with every call (the X-Roc-Lease header); each call renews that
 * lease. A lease that goes a whole TTL without a call has lapsed: its
 * client's process died or can no longer reach the agent, and its objects
 * are freed. Objects made by calls without a lease (Python's xmlrpc, the
 * original ROC client) belong to no lease and live until released.
 */
interface Lease {
  expires: number;
  /** The client has had an answer carrying the TTL. */
  told: boolean;
  readonly from: string;
  readonly handles: Set<string>;
}

export interface LapsedLease {
  readonly id: string;
  /** The address its calls came from. */
  readonly from: string;
  readonly handles: readonly string[];
}

export class LeaseTable {
  readonly ttlMs: number;
  private readonly leases = new Map<string, Lease>();
  private readonly ownerOf = new Map<string, string>();

  constructor(ttlMs = DEFAULT_LEASE_TTL_MS) {
    this.ttlMs = ttlMs;
  }

  get size(): number {
    return this.leases.size;
  }

  has(id: string): boolean {
    return this.leases.has(id);
  }

  /** A call under this lease came in: it lives another TTL. True while its client has not been told the TTL. */
  renew(id: string, from: string, now = Date.now()): boolean {
    const lease = this.leases.get(id);
    if (lease) {
      lease.expires = now + this.ttlMs;
      return !lease.told;
    }
    this.leases.set(id, { expires: now + this.ttlMs, told: false, from, handles: new Set() });
    return true;
  }

  /** An answer carrying the TTL went to the lease's client. */
  told(id: string): void {
    const lease = this.leases.get(id);
    if (lease) lease.told = true;
  }

  own(id: string, handle: string): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    lease.handles.add(handle);
    this.ownerOf.set(handle, id);
  }

  disown(handle: string): void {
    const id = this.ownerOf.get(handle);
    if (id === undefined) return;
    this.ownerOf.delete(handle);
    this.leases.get(id)?.handles.delete(handle);
  }

  /** Objects a lease holds (for the `lease` call's answer). */
  count(id: string): number {
    return this.leases.get(id)?.handles.size ?? 0;
  }

  /**
   * Takes out every lease whose TTL has passed, with the handles it held. A
   * TTL of 0 never lapses; its leases that hold nothing (and have been told
   * the TTL) are forgotten here, or every lease id ever seen would be kept.
   */
  takeLapsed(now = Date.now()): LapsedLease[] {
    if (this.ttlMs <= 0) {
      for (const [id, lease] of this.leases) if (lease.told && lease.handles.size === 0) this.leases.delete(id);
      return [];
    }
    const lapsed: LapsedLease[] = [];
    for (const [id, lease] of this.leases) {
      if (lease.expires > now) continue;
      this.leases.delete(id);
      for (const h of lease.handles) this.ownerOf.delete(h);
      lapsed.push({ id, from: lease.from, handles: [...lease.handles] });
    }
    return lapsed;
  }

  clear(): void {
    this.leases.clear();
    this.ownerOf.clear();
  }
}
