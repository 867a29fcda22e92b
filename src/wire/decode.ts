import { SaxesParser } from 'saxes';
import { parseDateTime } from './datetime.js';
import { DecodeError, FaultCode } from './fault.js';
import { newStruct, type XmlRpcStruct, type XmlRpcValue } from './values.js';
import { fastDecode } from './fast-decode.js';
import {
  decodeBase64,
  decodeBoolean,
  decodeDouble,
  decodeInteger,
  DEFAULT_MAX_DEPTH,
  toFault,
  type DecodedCall,
  type DecodedDocument,
  type DecodeOptions,
} from './scalars.js';

export type { DecodedCall, DecodedDocument, DecodeOptions };

const INTEGER_TAGS = new Set(['int', 'i4', 'i8', 'i1', 'i2', 'biginteger', 'ex:i8']);
const SCALAR_TAGS = new Set([
  ...INTEGER_TAGS,
  'boolean',
  'double',
  'string',
  'base64',
  'dateTime.iso8601',
  'nil',
  'ex:nil',
]);
const VALUE_CHILDREN = new Set([...SCALAR_TAGS, 'array', 'struct']);
const NO_CHILDREN = new Set<string>();

const CHILDREN: ReadonlyMap<string, ReadonlySet<string>> = new Map<string, ReadonlySet<string>>([
  ['methodCall', new Set(['methodName', 'params'])],
  ['methodResponse', new Set(['params', 'fault'])],
  ['params', new Set(['param'])],
  ['param', new Set(['value'])],
  ['fault', new Set(['value'])],
  ['value', VALUE_CHILDREN],
  ['array', new Set(['data'])],
  ['data', new Set(['value'])],
  ['struct', new Set(['member'])],
  ['member', new Set(['name', 'value'])],
  ['name', NO_CHILDREN],
  ['methodName', NO_CHILDREN],
  ...[...SCALAR_TAGS].map((t): [string, ReadonlySet<string>] => [t, NO_CHILDREN]),
]);

// Elements whose text is data; anywhere else only white space may stand between tags.
const TEXT_TAGS = new Set([...SCALAR_TAGS, 'value', 'name', 'methodName']);

const SINGLE_CHILD = new Set(['value', 'param', 'fault', 'array']);

const WHITESPACE = /^[ \t\r\n]*$/;

interface Frame {
  tag: string;
  text: string;
  hasChild: boolean;
  /** The value this element produced, for value and scalar frames. */
  value?: unknown;
  produced: boolean;
  items?: unknown[];
  struct?: XmlRpcStruct;
  memberName?: string;
  memberValue?: unknown;
  hasMemberValue?: boolean;
}

function scalarValue(tag: string, text: string): unknown {
  switch (tag) {
    case 'string':
      return text;
    case 'boolean':
      return decodeBoolean(text);
    case 'double':
      return decodeDouble(text);
    case 'base64':
      return decodeBase64(text);
    case 'dateTime.iso8601':
      return parseDateTime(text);
    case 'nil':
    case 'ex:nil':
      if (!WHITESPACE.test(text)) throw new DecodeError(`<${tag}/> must be empty`);
      return null;
    default:
      return decodeInteger(text, tag);
  }
}

/**
 * Decodes any XML-RPC document: a call, a response or a fault. Throws
 * DecodeError (with a fault code) for anything that is not well-formed
 * XML-RPC or that breaks a limit; never anything else. Plain documents take
 * a hand-written fast path; everything else, and every fault, is saxes'.
 */
export function decodeDocument(xml: string, options: DecodeOptions = {}): DecodedDocument {
  return fastDecode(xml, options) ?? decodeDocumentStrict(xml, options);
}

/** The saxes decoder alone: the reference the fast path is held to. */
export function decodeDocumentStrict(xml: string, options: DecodeOptions = {}): DecodedDocument {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const revive = options.reviveStruct;
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: Frame[] = [];
  let containers = 0;
  let root: string | undefined;
  let methodName: string | undefined;
  let params: unknown[] | undefined;
  let faultValue: unknown;
  let hasFault = false;

  const where = (): string => `line ${parser.line}, column ${parser.column}`;
  const fail = (message: string, code: number = FaultCode.PARSE_ERROR): never => {
    throw new DecodeError(`${message} at ${where()}`, code);
  };

  parser.on('error', (err) => {
    throw new DecodeError(`not well-formed XML: ${err.message}`, FaultCode.PARSE_ERROR);
  });
  parser.on('doctype', () => fail('a DOCTYPE is not allowed in XML-RPC'));
  parser.on('opentag', (tag) => {
    const name = tag.name;
    const parent = stack[stack.length - 1];
    if (!parent) {
      if (name !== 'methodCall' && name !== 'methodResponse') {
        fail(`<${name}> cannot be the root: expected <methodCall> or <methodResponse>`, FaultCode.INVALID_REQUEST);
      }
      root = name;
    } else {
      const allowed = CHILDREN.get(parent.tag)!;
      if (!allowed.has(name)) {
        fail(
          CHILDREN.has(name) ? `<${name}> is not allowed inside <${parent.tag}>` : `unknown element <${name}>`,
          FaultCode.INVALID_REQUEST,
        );
      }
      if (parent.hasChild && SINGLE_CHILD.has(parent.tag)) {
        fail(`<${parent.tag}> holds one element, got a second <${name}>`, FaultCode.INVALID_REQUEST);
      }
      parent.hasChild = true;
    }
    const frame: Frame = { tag: name, text: '', hasChild: false, produced: false };
    if (name === 'array') {
      if (++containers > maxDepth) fail(`values nested more than ${maxDepth} arrays or structs deep`);
    } else if (name === 'struct') {
      if (++containers > maxDepth) fail(`values nested more than ${maxDepth} arrays or structs deep`);
      frame.struct = newStruct();
    } else if (name === 'data') {
      frame.items = [];
    } else if (name === 'params') {
      if (params) fail('a second <params>', FaultCode.INVALID_REQUEST);
      params = [];
    } else if (name === 'methodName' && methodName !== undefined) {
      fail('a second <methodName>', FaultCode.INVALID_REQUEST);
    }
    stack.push(frame);
  });
  const onText = (text: string): void => {
    const top = stack[stack.length - 1];
    if (!top) return;
    if (TEXT_TAGS.has(top.tag)) top.text += text;
    else if (!WHITESPACE.test(text))
      fail(
        `text ${JSON.stringify(text.trim().slice(0, 20))} is not allowed inside <${top.tag}>`,
        FaultCode.INVALID_REQUEST,
      );
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const frame = stack.pop()!;
    const parent = stack[stack.length - 1];
    let value: unknown;
    switch (frame.tag) {
      case 'value':
        if (frame.produced) {
          if (!WHITESPACE.test(frame.text)) fail('<value> holds both text and an element', FaultCode.INVALID_REQUEST);
          value = frame.value;
        } else if (frame.hasChild) fail('<value> without content', FaultCode.INVALID_REQUEST);
        else value = frame.text;
        break;
      case 'array': {
        containers--;
        if (!frame.produced) fail('<array> without <data>', FaultCode.INVALID_REQUEST);
        value = frame.value;
        break;
      }
      case 'data':
        parent!.value = frame.items;
        parent!.produced = true;
        return;
      case 'struct':
        containers--;
        value = revive ? revive(frame.struct!) : frame.struct;
        break;
      case 'member': {
        if (frame.memberName === undefined) fail('<member> without <name>', FaultCode.INVALID_REQUEST);
        if (!frame.hasMemberValue)
          fail(`<member> ${JSON.stringify(frame.memberName)} without <value>`, FaultCode.INVALID_REQUEST);
        // Duplicate names: the last one wins, as in Python.
        parent!.struct![frame.memberName!] = frame.memberValue as XmlRpcValue;
        return;
      }
      case 'name':
        if (parent!.memberName !== undefined) fail('<member> with two <name> elements', FaultCode.INVALID_REQUEST);
        parent!.memberName = frame.text;
        return;
      case 'methodName':
        if (!frame.text.trim()) fail('empty <methodName>', FaultCode.INVALID_REQUEST);
        methodName = frame.text.trim();
        return;
      case 'param':
        if (!frame.produced) fail('<param> without <value>', FaultCode.INVALID_REQUEST);
        params!.push(frame.value);
        return;
      case 'params':
      case 'methodCall':
      case 'methodResponse':
        return;
      case 'fault':
        if (!frame.produced) fail('<fault> without <value>', FaultCode.INVALID_REQUEST);
        faultValue = frame.value;
        hasFault = true;
        return;
      default:
        try {
          value = scalarValue(frame.tag, frame.text);
        } catch (err) {
          fail((err as Error).message);
        }
    }
    // A finished value goes to whatever holds it.
    switch (parent!.tag) {
      case 'data':
        parent!.items!.push(value);
        break;
      case 'member':
        if (parent!.hasMemberValue) fail('<member> with two <value> elements', FaultCode.INVALID_REQUEST);
        parent!.memberValue = value;
        parent!.hasMemberValue = true;
        break;
      default:
        parent!.value = value;
        parent!.produced = true;
    }
  });

  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`not well-formed XML: ${(err as Error).message}`);
  }
  if (!root) throw new DecodeError('empty document: expected <methodCall> or <methodResponse>');

  if (root === 'methodCall') {
    if (methodName === undefined) throw new DecodeError('<methodCall> without <methodName>', FaultCode.INVALID_REQUEST);
    return { kind: 'call', methodName, params: (params ?? []) as XmlRpcValue[] };
  }
  if (hasFault) {
    if (params) throw new DecodeError('<methodResponse> with both <params> and <fault>', FaultCode.INVALID_REQUEST);
    return { kind: 'fault', fault: toFault(faultValue) };
  }
  if (!params || params.length !== 1) {
    throw new DecodeError(
      `<methodResponse> must hold exactly one <param>, got ${params?.length ?? 0}`,
      FaultCode.INVALID_REQUEST,
    );
  }
  return { kind: 'response', value: params[0] as XmlRpcValue };
}

/** Decodes a methodCall; any other document is a DecodeError. */
export function decodeCall(xml: string, options?: DecodeOptions): DecodedCall {
  const doc = decodeDocument(xml, options);
  if (doc.kind !== 'call')
    throw new DecodeError('expected <methodCall>, got <methodResponse>', FaultCode.INVALID_REQUEST);
  return { methodName: doc.methodName, params: doc.params };
}

/** Decodes a methodResponse: returns its value, or throws the XmlRpcFault it carries. */
export function decodeResponse(xml: string, options?: DecodeOptions): XmlRpcValue {
  const doc = decodeDocument(xml, options);
  if (doc.kind === 'fault') throw doc.fault;
  if (doc.kind !== 'response')
    throw new DecodeError('expected <methodResponse>, got <methodCall>', FaultCode.INVALID_REQUEST);
  return doc.value;
}
