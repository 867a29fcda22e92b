/** The shapes of the agent's own answers: the dispatcher returns them with `satisfies`, the client types its calls with them. */
/** What ping() answers: who the agent is and what it holds. */
export interface AgentInfo {
  version: string;
  bootId: string;
  pid: number;
  hostname: string;
  /** Seconds since the agent started. */
  uptime: number;
  node: string;
  modules: string[];
  classes: string[];
  /** Whether the built-in guest library is served. */
  library: boolean;
  handles: number;
  /** Clients holding a lease, and how long a lease lives without a call (0: leases never lapse). */
  leases: number;
  leaseTtlMs: number;
  /** Calls the agent is running besides this ping: what it is busy with. */
  calls: number;
  /** Calls (HTTP requests) it has answered since it started. */
  callsServed: number;
}

/** What describe() answers: every class with its methods, every function, the library's methods. */
export interface AgentDescription {
  version: string;
  bootId: string;
  classes: {
    name: string;
    module: string;
    constructor: string;
    methods: { name: string; params: string }[];
    statics: string[];
  }[];
  functions: { name: string; module: string; params: string }[];
  library: string[];
}

/** What lease() answers. */
export interface LeaseInfo {
  ttlMs: number;
  /** Objects the caller's lease holds. */
  objects: number;
}
