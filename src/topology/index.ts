export { defaultTopology, guest, guests, loadTopology, nemesis, Topology, useTopology } from './topology.js';
export { Fault, Nemesis, NemesisError, type Duration, type FaultCallOptions, type FaultPart } from './nemesis.js';
export { grudgeOf, halves, isolateOne, majoritiesRing, type Grudge } from './nemesis-shapes.js';
export { Guest, type GuestLibrary } from './guest.js';
export { GroupError, GroupResult, GuestGroup, type FanOut, type OnEveryGuest, type GuestOutcome } from './group.js';
export {
  findTopologyFile,
  labTokenFile,
  lineOf,
  parseTopology,
  TopologyError,
  type GuestSpec,
  type Problem,
  type TopologyData,
} from './load.js';
export { parseDuration } from './duration.js';
export { SshGuestError, TopologyNotFoundError, UnknownGuestError, WaitTimeoutError } from './errors.js';
export { Wait } from './wait.js';
export { formatLogs, guestLogs, withGuestLogs, type GuestLogOptions, type LogExcerpt } from './logs.js';
