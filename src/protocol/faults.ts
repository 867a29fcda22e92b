import { FaultCode as XmlRpcFaultCode } from '../wire/index.js';

/**
 * Fault codes: XML-RPC's, and ROC's own in the -32000..-32099 range the
 * spec leaves to implementations.
 */
export const FaultCode = {
  ...XmlRpcFaultCode,
  /** A handle created by an earlier run of the agent. */
  STALE_HANDLE: -32010,
  /** A handle of this run that was released or never existed. */
  UNKNOWN_HANDLE: -32011,
  /** The agent holds as many live handles as it allows. */
  HANDLE_LIMIT: -32012,
  /** The served method did not settle within the agent's deadline. */
  CALL_TIMEOUT: -32013,
  /** The agent has too many calls in flight. */
  BUSY: -32014,
  /** The agent refuses the call (for example remote shutdown is off). */
  FORBIDDEN: -32015,
} as const;
