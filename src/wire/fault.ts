import type { XmlRpcStruct, XmlRpcValue } from './values.js';
import { named, RocError } from './errors.js';

/**
 * XML-RPC's fault codes: the interoperability spec's
 * (specs.xmlrpc.com/spec "fault code interoperability"), and 1, which
 * Python's SimpleXMLRPCServer (and so the original ROC) sends for any
 * exception raised by served code. ROC's own codes are the protocol's
 * (src/protocol/faults.ts).
 */
export const FaultCode = {
  /** An exception thrown (or a promise rejected) by served code. */
  APPLICATION: 1,
  PARSE_ERROR: -32700,
  UNSUPPORTED_ENCODING: -32701,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

/**
 * A fault as carried on the wire: faultCode, faultString, and any extra
 * members (ROC adds name, message, stack, code and cause for its own client;
 * Python's xmlrpc.client.Fault accepts and keeps them).
 */
export class XmlRpcFault extends RocError {
  static {
    named(this, 'XmlRpcFault');
  }
  readonly faultCode: number;
  readonly faultString: string;
  readonly extra: XmlRpcStruct;

  constructor(faultCode: number, faultString: string, extra?: XmlRpcStruct) {
    super(faultString);
    this.faultCode = faultCode;
    this.faultString = faultString;
    this.extra = extra ?? Object.create(null);
  }

  /** The struct sent inside `<fault>`. */
  toStruct(): XmlRpcStruct {
    const s: XmlRpcStruct = Object.create(null);
    for (const k of Object.keys(this.extra)) s[k] = this.extra[k] as XmlRpcValue;
    s.faultCode = this.faultCode;
    s.faultString = this.faultString;
    return s;
  }
}

/** A document that is not XML, not XML-RPC, or breaks a limit. */
export class DecodeError extends RocError {
  static {
    named(this, 'DecodeError');
  }
  readonly faultCode: number;
  constructor(message: string, faultCode: number = FaultCode.PARSE_ERROR) {
    super(message);
    this.faultCode = faultCode;
  }
}

/** A JavaScript value that XML-RPC cannot carry. */
export class EncodeError extends RocError {
  static {
    named(this, 'EncodeError');
  }
  /** Where in the value the problem is, e.g. `[2].name`. */
  readonly path: string;
  constructor(message: string, path: string) {
    super(path ? `${message} (at ${path})` : message);
    this.path = path;
  }
}
