import type { XmlRpcStruct } from './values.js';

/**
 * How an object that stays on the agent crosses the wire: a struct naming
 * its handle and class. Python callers see a dict and can use the handle
 * with `getattr(proxy, ref['roc:handle'])`, as with the original's create().
 */
export const REF_HANDLE = 'roc:handle';
export const REF_CLASS = 'roc:class';

export interface HandleRef {
  readonly [REF_HANDLE]: string;
  readonly [REF_CLASS]: string;
}

export function makeRef(handle: string, className: string): XmlRpcStruct {
  const ref: XmlRpcStruct = Object.create(null);
  ref[REF_HANDLE] = handle;
  ref[REF_CLASS] = className;
  return ref;
}

export function isRef(struct: XmlRpcStruct): struct is XmlRpcStruct & HandleRef {
  return typeof struct[REF_HANDLE] === 'string' && typeof struct[REF_CLASS] === 'string' && Object.keys(struct).length === 2;
}

/** `RemoteClass_1a2b3c4d_0`: class, the agent run's boot id, a counter. */
export const HANDLE_PATTERN = /^([A-Za-z_$][\w$]*)_([0-9a-f]{8})_(\d+)$/;

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
}

/** What describe() answers: every class with its methods, every function, the library's methods. */
export interface AgentDescription {
  version: string;
  bootId: string;
  classes: { name: string; module: string; constructor: string; methods: { name: string; params: string }[]; statics: string[] }[];
  functions: { name: string; module: string; params: string }[];
  library: string[];
}

/** What lease() answers. */
export interface LeaseInfo {
  ttlMs: number;
  /** Objects the caller's lease holds. */
  objects: number;
}
