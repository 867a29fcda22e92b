/**
 * Leases on the wire: a ROC client names its lease in every call
 * (X-Roc-Lease) and learns the agent's TTL from the first answer
 * (X-Roc-Lease-Ttl). Header names in lower case, as Node reads them.
 */
export const LEASE_HEADER = 'x-roc-lease';
export const LEASE_TTL_HEADER = 'x-roc-lease-ttl';
export const DEFAULT_LEASE_TTL_MS = 60_000;
const LEASE_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** The lease a request names, or undefined for none (or one that is not a lease id). */
export function leaseOf(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && LEASE_ID.test(header) ? header : undefined;
}
