import type { XmlRpcStruct } from '../wire/index.js';

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
  return (
    typeof struct[REF_HANDLE] === 'string' && typeof struct[REF_CLASS] === 'string' && Object.keys(struct).length === 2
  );
}

/** `RemoteClass_1a2b3c4d_0`: class, the agent run's boot id, a counter. */
export const HANDLE_PATTERN = /^([A-Za-z_$][\w$]*)_([0-9a-f]{8})_(\d+)$/;
