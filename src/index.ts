export * from './client/index.js';
export {
  CallTimeoutError,
  ConnectionError,
  Double,
  HttpStatusError,
  ProtocolError,
  RocError,
  TransportClosedError,
  XmlRpcFault,
  type ConnectionFailure,
  type XmlRpcValue,
} from './wire/index.js';
export { FaultCode, TokenFileError, type AgentDescription, type AgentInfo, type LeaseInfo } from './protocol/index.js';
export { VERSION } from './version.js';
export * from './topology/index.js';
export type * from './guestlib/types.js';
export type { LabGuestState, LabGuestStatus, LabOptions, LabState, LabUpOptions, RunningLab } from './lab/index.js';
import type * as LabApi from './lab/api.js';

const labApi = (): Promise<typeof LabApi> => import('./lab/api.js');

/**
 * The local lab from code: `await using l = await lab.up('roc.yml', { netns: true })`.
 * Loaded on first use, so that programs that only call guests do not load it.
 */
export const lab: typeof LabApi = {
  up: async (...a) => (await labApi()).up(...a),
  status: async (...a) => (await labApi()).status(...a),
  down: async (...a) => (await labApi()).down(...a),
};
