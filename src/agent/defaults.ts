import { DEFAULT_AGENT_PORT, DEFAULT_LEASE_TTL_MS } from '../protocol/index.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH } from '../wire/index.js';

/** What an agent does when its options (or roc-agent's flags) say nothing: declared once, for both. */
export const AGENT_DEFAULTS = {
  host: '127.0.0.1',
  port: DEFAULT_AGENT_PORT,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxHandles: 100_000,
  /** Per-call deadline for served code; 0: none. */
  callTimeoutMs: 0,
  maxConcurrent: 256,
  headerTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  stopGraceMs: 10_000,
  /** How long a freed object's dispose (or close()) may take before the agent moves on. */
  disposeTimeoutMs: 5_000,
  leaseTtlMs: DEFAULT_LEASE_TTL_MS,
} as const;
