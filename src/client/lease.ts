import { randomBytes } from 'node:crypto';

import { LEASE_TTL_HEADER } from '../protocol/index.js';

/**
 * Keeps this client's lease on one agent alive while it holds objects
 * there. Every call carries the lease and renews it; when no call has gone
 * out for a third of the agent's TTL, one small `lease` call does. The
 * timer never keeps a program alive: when the program ends (or dies), the
 * renewals stop and the agent frees its objects once the lease lapses.
 */
export class LeaseKeeper {
  /** Sent as X-Roc-Lease with every call. */
  readonly id = randomBytes(12).toString('base64url');
  /** The agent's TTL, learnt from its answers; undefined until then, or for agents without leases. */
  private ttlMs: number | undefined;
  private lastCallAt = 0;
  private held = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly renew: () => Promise<unknown>) {}

  /** A call is going out: it renews the lease by itself. */
  sending(): void {
    this.lastCallAt = Date.now();
  }

  /** Reads the agent's TTL off an answer's headers. */
  answered(headers: Readonly<Record<string, string>>): void {
    const ttl = Number(headers[LEASE_TTL_HEADER]);
    if (!Number.isFinite(ttl) || ttl === this.ttlMs) return;
    this.ttlMs = ttl;
    this.reschedule();
  }

  /** An object on the agent is now held by this client. */
  hold(): void {
    if (this.held++ === 0) this.reschedule();
  }

  /** One held object was released or collected. */
  drop(): void {
    if (this.held > 0 && --this.held === 0) this.reschedule();
  }

  get objects(): number {
    return this.held;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.held = 0;
  }

  private reschedule(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    const ttl = this.ttlMs;
    if (this.held === 0 || ttl === undefined || ttl <= 0) return;
    const every = Math.max(10, Math.floor(ttl / 3));
    this.timer = setInterval(() => {
      if (Date.now() - this.lastCallAt < every) return;
      // A failed renewal (the agent restarting, a network blip) is tried again on the next tick.
      this.renew().catch(() => undefined);
    }, every);
    this.timer.unref();
  }
}
