import { DecodeError, FaultCode, XmlRpcFault } from './fault.js';
import type { XmlRpcStruct, XmlRpcValue } from './values.js';

/**
 * What both XML-RPC decoders share: their options and results, the limits,
 * and the reading of scalar values and faults. Its own module, so the
 * strict decoder and the fast path do not import each other.
 */
export const DEFAULT_MAX_DEPTH = 256;

export interface DecodeOptions {
  /** Arrays and structs nested deeper than this are refused (default 256). */
  maxDepth?: number;
  /** Called on every decoded struct; what it returns takes the struct's place. */
  reviveStruct?: (struct: XmlRpcStruct) => unknown;
}

export interface DecodedCall {
  methodName: string;
  params: XmlRpcValue[];
}

export type DecodedDocument =
  | { kind: 'call'; methodName: string; params: XmlRpcValue[] }
  | { kind: 'response'; value: XmlRpcValue }
  | { kind: 'fault'; fault: XmlRpcFault };

const INTEGER = /^\s*[+-]?\d+\s*$/;
const DOUBLE = /^\s*[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*$/;
const SPECIAL_DOUBLE = /^\s*([+-]?)(nan|inf|infinity)\s*$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
export function decodeInteger(text: string, tag = 'int'): number | bigint {
  if (!INTEGER.test(text))
    throw new DecodeError(`bad <${tag}> value ${JSON.stringify(text.slice(0, 40))}: expected digits only`);
  const trimmed = text.trim();
  if (trimmed.length < 16) return Number(trimmed);
  const big = BigInt(trimmed);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

export function decodeDouble(text: string): number {
  if (DOUBLE.test(text)) return Number(text);
  const special = SPECIAL_DOUBLE.exec(text);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  throw new DecodeError(`bad <double> value ${JSON.stringify(text.slice(0, 40))}`);
}

export function decodeBoolean(text: string): boolean {
  switch (text.trim()) {
    case '1':
    case 'true':
      return true;
    case '0':
    case 'false':
      return false;
  }
  throw new DecodeError(`bad <boolean> value ${JSON.stringify(text.slice(0, 40))}: expected 0 or 1`);
}

export function decodeBase64(text: string): Buffer {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw new DecodeError(`bad <base64> value: ${JSON.stringify(compact.slice(0, 40))} is not base64`);
  }
  return Buffer.from(compact, 'base64');
}

export function toFault(value: unknown): XmlRpcFault {
  if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) {
    throw new DecodeError('<fault> must hold a struct', FaultCode.INVALID_REQUEST);
  }
  const struct = value as XmlRpcStruct;
  const code = struct.faultCode;
  const text = struct.faultString;
  if (typeof code !== 'number' && typeof code !== 'bigint')
    throw new DecodeError('<fault> struct without an integer faultCode', FaultCode.INVALID_REQUEST);
  if (typeof text !== 'string')
    throw new DecodeError('<fault> struct without a string faultString', FaultCode.INVALID_REQUEST);
  const extra: XmlRpcStruct = Object.create(null);
  for (const key of Object.keys(struct)) if (key !== 'faultCode' && key !== 'faultString') extra[key] = struct[key]!;
  return new XmlRpcFault(Number(code), text, extra);
}
