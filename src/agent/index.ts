export { Agent, AgentStartError, startAgent, type AgentOptions } from './agent.js';
export { AGENT_DEFAULTS } from './defaults.js';
export { Dispatcher, type DispatcherOptions } from './dispatch.js';
export { HandleTable } from './handles.js';
export {
  isClass,
  loadModules,
  ModuleLoadError,
  type ServedClass,
  type ServedFunction,
  type ServedModules,
} from './loader.js';
export { isPublicName, publicMethods } from './access.js';
export { isLoopback, offeredToken, tokenGate } from './auth.js';
export { LeaseTable, type LapsedLease } from './leases.js';
export { BUILTINS } from './builtins.js';
