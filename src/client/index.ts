export {
  serverProxy,
  ServerProxy,
  type AgentDescription,
  type AgentInfo,
  type CallOptions,
  type MulticallEntry,
  type MulticallResult,
  type ServerProxyOptions,
  type WaitOptions,
} from './server-proxy.js';
export { remoteModule } from './remote-module.js';
export { getAttribute, invoke, isRemote, release, remoteInfo, setAttribute, type RemoteInfo } from './remote-object.js';
export {
  AgentNotReadyError,
  MethodNotFoundError,
  ProxyClosedError,
  ReleasedProxyError,
  RemoteError,
  StaleHandleError,
  UnknownClassError,
  UnknownHandleError,
} from './errors.js';
export type {
  Passable,
  Remote,
  RemoteIterable,
  RemoteMethod,
  RemoteModule,
  Remoted,
  UntypedRemoteModule,
} from './types.js';
export { eventually, EventuallyError, type EventuallyOptions } from './eventually.js';
