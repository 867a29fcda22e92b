// ROC's protocol over XML-RPC: handle references, fault codes, leases, tokens, the agent's answers, defaults, hints.
export { HANDLE_PATTERN, isRef, makeRef, REF_CLASS, REF_HANDLE, type HandleRef } from './refs.js';
export { FaultCode } from './faults.js';
export { DEFAULT_LEASE_TTL_MS, LEASE_HEADER, LEASE_TTL_HEADER, leaseOf } from './leases.js';
export { newToken, readTokenFile, TokenFileError, writeTokenFile } from './tokens.js';
export type { AgentDescription, AgentInfo, LeaseInfo } from './answers.js';
export { AGENT_NODE_FLAGS, DEFAULT_AGENT_PORT, DEFAULT_GUEST_TIMEOUT_MS } from './defaults.js';
export { ROC_HINTS } from './hints.js';
export { ITERATOR_CLASS, ITERATOR_LIMITS, type IteratorBatch } from './iterators.js';
