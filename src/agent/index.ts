export { Agent, AgentStartError, DEFAULT_HOST, DEFAULT_MAX_CONCURRENT, DEFAULT_PORT, startAgent, type AgentOptions } from './agent.js';
export { Dispatcher, type DispatcherOptions } from './dispatch.js';
export { HandleTable, DEFAULT_MAX_HANDLES } from './handles.js';
export { isClass, loadModules, ModuleLoadError, type ServedClass, type ServedFunction, type ServedModules } from './loader.js';
export { isPublicName, publicMethods } from './access.js';
export { isLoopback, offeredToken, tokenGate } from './auth.js';
export { DEFAULT_LEASE_TTL_MS, LEASE_HEADER, LEASE_TTL_HEADER, LeaseTable, type LapsedLease } from './leases.js';
export { BUILTINS } from './builtins.js';
