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
