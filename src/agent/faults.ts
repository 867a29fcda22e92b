import { XmlRpcFault, type XmlRpcStruct, type XmlRpcValue } from '../wire/index.js';
import { FaultCode } from '../protocol/index.js';

const MAX_CAUSE_DEPTH = 4;

function errorStruct(error: unknown, depth: number): XmlRpcStruct {
  const s: XmlRpcStruct = Object.create(null);
  if (!(error instanceof Error)) {
    s.name = 'Error';
    s.message = typeof error === 'string' ? error : safeString(error);
    return s;
  }
  s.name = error.name;
  s.message = error.message;
  if (error.stack) s.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || (typeof code === 'number' && Number.isFinite(code))) s.code = code;
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) s.cause = errorStruct(error.cause, depth + 1);
  const fields = dataFields(error);
  if (fields) s.fields = fields;
  return s;
}

const CARRIED = new Set(['name', 'message', 'stack', 'code', 'cause']);

/**
 * The error's own data (an exit code, a file, a guest), so that the host
 * sees the context a thrower put in fields and not only what its message
 * says: plain values and lists of them; anything else stays behind.
 */
function dataFields(error: Error): XmlRpcStruct | undefined {
  let fields: XmlRpcStruct | undefined;
  for (const key of Object.keys(error)) {
    if (CARRIED.has(key)) continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (!isPlainData(value)) continue;
    fields ??= Object.create(null) as XmlRpcStruct;
    fields[key] = value;
  }
  return fields;
}

function isPlainData(value: unknown): value is XmlRpcValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  return (
    Array.isArray(value) &&
    value.length <= 1_000 &&
    value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
  );
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * An exception thrown by served code, as the fault Python's ROC sends
 * (code 1, faultString starting with the class name and message), with
 * name, message, stack, code, cause and the error's own data fields as
 * extra members for ROC's client.
 */
export function applicationFault(error: unknown, method: string): XmlRpcFault {
  if (error instanceof XmlRpcFault) return error;
  const extra = errorStruct(error, 0);
  extra.method = method;
  return new XmlRpcFault(FaultCode.APPLICATION, `${extra.name as string}: ${extra.message as string}`, extra);
}

export function fault(
  code: number,
  name: string,
  message: string,
  extra: Record<string, XmlRpcValue> = {},
): XmlRpcFault {
  return new XmlRpcFault(code, `${name}: ${message}`, Object.assign(Object.create(null), { name, message, ...extra }));
}
