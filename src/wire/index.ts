// XML-RPC over HTTP: values, the codec, the listener and the client transport. Imports nothing of ROC's.
export { Double, isPlainStruct, newStruct, STRUCT_PROTOTYPE, type XmlRpcStruct, type XmlRpcValue } from './values.js';
export { DecodeError, EncodeError, FaultCode, XmlRpcFault } from './fault.js';
export { encodeCall, encodeFault, encodeResponse, encodeValue, type EncodeOptions } from './encode.js';
export {
  decodeCall,
  decodeDocument,
  decodeDocumentStrict,
  decodeResponse,
  type DecodeOptions,
  type DecodedCall,
  type DecodedDocument,
} from './decode.js';
export { formatDateTime, parseDateTime } from './datetime.js';
export {
  answerXmlRpc,
  createXmlRpcListener,
  DEFAULT_MAX_BODY_BYTES,
  type CallContext,
  type CallOutcome,
  type XmlRpcAnswer,
  type XmlRpcListenerOptions,
} from './http-listener.js';
export {
  HttpTransport,
  DEFAULT_TIMEOUT_MS,
  type Transport,
  type TransportAnswer,
  type TransportOptions,
} from './http-transport.js';
export { MemoryTransport } from './memory-transport.js';
export {
  CallTimeoutError,
  ConnectionError,
  describeSite,
  HttpStatusError,
  named,
  ProtocolError,
  RocError,
  TransportClosedError,
  XMLRPC_HINTS,
  type CallSite,
  type ConnectionFailure,
  type TransportHints,
} from './errors.js';
export { fastDecode } from './fast-decode.js';
export { DEFAULT_MAX_DEPTH } from './scalars.js';
export { retryUntil, withDeadline } from './deadline.js';
