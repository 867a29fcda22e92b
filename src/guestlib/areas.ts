// The guest library's areas. Every function an area module exports is a
// library method (`roc.<area>.<name>` on the wire), and the host's typed
// view (GuestLibrary) is derived from these modules, so the two cannot drift.
export * as command from './command.js';
export * as faults from './faults.js';
export * as files from './files.js';
export * as network from './network.js';
export * as processes from './processes.js';
export * as services from './services.js';
export * as system from './system.js';
export * as wait from './wait.js';
