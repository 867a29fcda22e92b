export * from './client/index.js';
export { CallTimeoutError, ConnectionError, Double, FaultCode, HttpStatusError, ProtocolError, ProxyClosedError, RocError, XmlRpcFault, type ConnectionFailure, type XmlRpcValue } from './wire/index.js';
export { VERSION } from './version.js';
export * from './topology/index.js';
export type * from './guestlib/types.js';
