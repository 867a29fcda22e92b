export { Double, type XmlRpcStruct, type XmlRpcValue } from './values.js';
export { DecodeError, EncodeError, FaultCode, XmlRpcFault } from './fault.js';
export { encodeCall, encodeFault, encodeResponse, encodeValue, type EncodeOptions } from './encode.js';
export { decodeCall, decodeDocument, decodeResponse, type DecodeOptions, type DecodedCall, type DecodedDocument } from './decode.js';
export { formatDateTime, parseDateTime } from './datetime.js';
export { createXmlRpcListener, DEFAULT_MAX_BODY_BYTES, type CallContext, type CallOutcome, type XmlRpcListenerOptions } from './http-listener.js';
export { HttpTransport, DEFAULT_TIMEOUT_MS, type TransportOptions } from './http-transport.js';
export { CallTimeoutError, ConnectionError, describeSite, HttpStatusError, ProtocolError, RocError, type CallSite, type ConnectionFailure } from './errors.js';
export { HANDLE_PATTERN, isRef, makeRef, REF_CLASS, REF_HANDLE, type HandleRef } from './protocol.js';
