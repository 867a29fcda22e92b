import { inspect } from 'node:util';

/**
 * Names other code reads or calls on any object it is handed: `await`
 * (then), JSON.stringify (toJSON), string conversion, test frameworks'
 * matchers (asymmetricMatch, $$typeof, nodeType, Immutable's and Jest's
 * markers), old util.inspect (inspect), prototype checks. On a remote view
 * they are answered here and never become a call to the agent.
 */
const PROBED = new Set([
  'then',
  'toJSON',
  'toString',
  'toLocaleString',
  'valueOf',
  'constructor',
  'inspect',
  'asymmetricMatch',
  'nodeType',
  'nodeName',
  'tagName',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  '__proto__',
  'prototype',
  'toISOString',
]);

/**
 * True for a name that is never a remote member: a probe above, any
 * symbol, and names the agent never serves anyway (`_private`) or that only
 * frameworks use (`$$typeof`, `@@__IMMUTABLE_ITERABLE__@@`).
 */
export function isProbe(key: string | symbol): boolean {
  return (
    typeof key === 'symbol' || PROBED.has(key) || key.startsWith('_') || key.startsWith('$$') || key.startsWith('@@')
  );
}

/** How a remote view describes itself when printed, converted to text or serialized. */
export interface LocalView {
  /** One line: `RemoteObject<Point Point_1a2b3c4d_0 on web1 10.0.0.5:7007>`. */
  describe(): string;
  /** What JSON.stringify writes: data only, never a secret. */
  json(): object;
  /** Symbol.toStringTag. */
  tag: string;
}

/** The local answer to a probe (call only when isProbe(key)): descriptions for printing, undefined for the rest. */
export function answerProbe(key: string | symbol, view: LocalView): unknown {
  if (key === inspect.custom || key === Symbol.toPrimitive || key === 'toString') return view.describe;
  if (key === Symbol.toStringTag) return view.tag;
  if (key === 'toJSON') return view.json;
  return undefined;
}
