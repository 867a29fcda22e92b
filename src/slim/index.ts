export { converse, captureOutput, serveSocket, SLIM_HEADER, SLIM_VERSION, type SocketServerOptions } from './server.js';
export { SlimExecutor, type ExecutorOptions } from './executor.js';
export { deserialize, serialize, SlimSyntaxError, type SlimList, type SlimValue } from './serializer.js';
export { frame, FrameError, FrameReader } from './framing.js';
export {
  couldNotInvokeConstructor,
  EXCEPTION,
  exceptionResult,
  malformed,
  noClass,
  noInstance,
  noMethod,
  SlimFailure,
  SystemExitPrevented,
  timedOut,
  type SlimCode,
} from './exceptions.js';
export { ImportNotFoundError } from './fixtures.js';
export { toSlim, VOID } from './convert.js';
export { SymbolStore } from './symbols.js';
