import { hostname } from 'node:os';
import { type XmlRpcStruct, type XmlRpcValue } from '../wire/index.js';
import { FaultCode, ITERATOR_CLASS, type AgentDescription, type AgentInfo, type LeaseInfo } from '../protocol/index.js';
import { VERSION } from '../version.js';
import { isPublicName, lookup, parameterList, publicMethods, publicStatics } from './access.js';
import { fault } from './faults.js';
import type { HandleTable } from './handles.js';
import type { ServedModules } from './loader.js';

/** What one request carries besides its method and parameters. */
export interface CallScope {
  /** The caller's lease (X-Roc-Lease), when it sent one. */
  readonly lease: string | undefined;
  /** The caller's address, for the library methods that must know it (the nemesis never cuts its controller). */
  readonly caller?: string;
}

/** What the built-ins reach of the dispatcher. */
export interface BuiltinContext {
  readonly served: ServedModules;
  readonly handles: HandleTable;
  readonly library: ReadonlyMap<string, (...args: unknown[]) => unknown> | undefined;
  readonly startedAt: number;
  /** Calls running now, besides the one asking. */
  callsUnderWay(): number;
  /** Calls answered since the start. */
  callsServed(): number;
  /** Runs served code under the call deadline, as every served method runs. */
  run(fn: () => unknown, method: string): Promise<unknown>;
  /** Every callable name, for system.listMethods. */
  listMethods(): string[];
  /** A line of help for a served name, or '' when there is none. */
  servedHelp(name: string): string;
}

interface Builtin {
  readonly help: string;
  readonly run: (ctx: BuiltinContext, params: XmlRpcValue[], scope: CallScope) => unknown;
}

function expectString(value: XmlRpcValue | undefined, what: string, method: string): string {
  if (typeof value !== 'string') {
    throw fault(
      FaultCode.INVALID_PARAMS,
      'TypeError',
      `${method}: ${what} must be a string, got ${value === undefined ? 'nothing' : typeof value}`,
    );
  }
  return value;
}

const struct = <T extends object>(value: T): XmlRpcStruct => Object.assign(Object.create(null), value) as XmlRpcStruct;

export const classNames = (served: ServedModules): string[] => [...served.classes.keys()].sort();

function unknownClass(served: ServedModules, name: string): never {
  const available = classNames(served);
  throw fault(
    FaultCode.INVALID_PARAMS,
    'UnknownClassError',
    `no class ${JSON.stringify(name)} on this agent; it serves ${available.length ? available.join(', ') : 'no classes'}`,
    { className: name, available },
  );
}

/**
 * The agent's own methods, in one table: the original ROC's, ROC's
 * additions and XML-RPC's introspection. `shutdown` and `system.multicall`
 * are listed here for help and for the name check, and run by the
 * dispatcher, which alone can close a connection or nest calls.
 */
const TABLE: Record<string, Builtin> = {
  classes: { help: 'classes() -> names of the classes this agent serves', run: (ctx) => classNames(ctx.served) },
  create: {
    help: 'create(className, args) -> handle of a new instance',
    run: (ctx, params, scope) => {
      const className = expectString(params[0], 'the class name', 'create');
      const served = ctx.served.classes.get(className) ?? unknownClass(ctx.served, className);
      const raw = params[1];
      const args: unknown[] = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
      const ctor = served.ctor as unknown as new (...a: unknown[]) => object;
      return ctx
        .run(() => new ctor(...args), `${className}(...)`)
        .then((object) => ctx.handles.add(object as object, className, scope.lease));
    },
  },
  instances: { help: 'instances() -> handles of the live instances', run: (ctx) => ctx.handles.names() },
  shutdown: { help: 'shutdown() -> stops the agent after answering', run: () => null },
  release: {
    help: 'release(handle) -> true if the handle was live; frees the object (answers once its dispose or close() ran)',
    run: (ctx, p) => ctx.handles.releaseAndDispose(expectString(p[0], 'the handle', 'release')),
  },
  getattr: {
    help: 'getattr(handle, name) -> the value of a public attribute',
    run: (ctx, params) => {
      const handle = expectString(params[0], 'the handle', 'getattr');
      const name = expectString(params[1], 'the attribute name', 'getattr');
      const { object, className } = ctx.handles.get(handle);
      const found = lookup(object, name);
      if (!found || (found.kind === 'accessor' && !found.get))
        throw fault(
          FaultCode.INVALID_PARAMS,
          'AttributeError',
          `${className} has no public attribute ${JSON.stringify(name)}`,
        );
      if (found.kind === 'method')
        throw fault(
          FaultCode.INVALID_PARAMS,
          'AttributeError',
          `${className}.${name} is a method: call it instead of reading it`,
        );
      if (found.kind === 'data') return found.value;
      return ctx.run(() => found.get!.call(object), `${handle}.${name}`);
    },
  },
  setattr: {
    help: 'setattr(handle, name, value) -> sets a public attribute',
    run: (ctx, params) => {
      const handle = expectString(params[0], 'the handle', 'setattr');
      const name = expectString(params[1], 'the attribute name', 'setattr');
      const { object, className } = ctx.handles.get(handle);
      const found = lookup(object, name);
      if (found?.kind === 'method')
        throw fault(
          FaultCode.INVALID_PARAMS,
          'AttributeError',
          `${className}.${name} is a method and cannot be replaced`,
        );
      if (found?.kind === 'accessor' && !found.set)
        throw fault(FaultCode.INVALID_PARAMS, 'AttributeError', `${className}.${name} is read-only`);
      if (!found && !isPublicName(name))
        throw fault(
          FaultCode.INVALID_PARAMS,
          'AttributeError',
          `${JSON.stringify(name)} is not a public attribute name`,
        );
      return ctx.run(() => {
        (object as Record<string, unknown>)[name] = params[2];
        return null;
      }, `${handle}.${name}`);
    },
  },
  describe: {
    help: 'describe() -> classes with their methods, and functions, for tooling',
    run: (ctx) =>
      struct({
        version: VERSION,
        bootId: ctx.handles.bootId,
        classes: [...ctx.served.classes.values()]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((c) => ({
            name: c.name,
            module: c.file,
            constructor: parameterList(c.ctor as unknown as (...a: never[]) => unknown),
            methods: publicMethods(c.ctor.prototype as object).map((m) => ({
              name: m,
              params: parameterList((c.ctor.prototype as Record<string, (...a: never[]) => unknown>)[m]!),
            })),
            statics: publicStatics(c.ctor),
          })),
        functions: [...ctx.served.functions.values()]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((f) => ({ name: f.name, module: f.file, params: parameterList(f.fn) })),
        library: [...(ctx.library?.keys() ?? [])].sort(),
      } satisfies AgentDescription),
  },
  ping: {
    help: 'ping() -> agent version, boot id, pid, hostname, uptime, modules, classes, live objects, leases and calls under way',
    run: (ctx) =>
      struct({
        version: VERSION,
        bootId: ctx.handles.bootId,
        pid: process.pid,
        hostname: hostname(),
        uptime: (Date.now() - ctx.startedAt) / 1000,
        node: process.version,
        modules: [...ctx.served.files],
        classes: classNames(ctx.served),
        library: ctx.library !== undefined && ctx.library.size > 0,
        handles: ctx.handles.size,
        leases: ctx.handles.leases.size,
        leaseTtlMs: ctx.handles.leases.ttlMs,
        calls: ctx.callsUnderWay(),
        callsServed: ctx.callsServed(),
      } satisfies AgentInfo),
  },
  lease: {
    help: "lease() -> renews the caller's lease (X-Roc-Lease) and says how many objects it holds",
    run: (ctx, _params, scope) =>
      struct({
        ttlMs: ctx.handles.leases.ttlMs,
        objects: scope.lease ? ctx.handles.leases.count(scope.lease) : 0,
      } satisfies LeaseInfo),
  },
  'system.listMethods': { help: 'system.listMethods() -> every callable method name', run: (ctx) => ctx.listMethods() },
  'system.methodHelp': {
    help: 'system.methodHelp(name) -> a line of help for a method',
    run: (ctx, p) => {
      const name = expectString(p[0], 'the method name', 'system.methodHelp');
      return BUILTINS.get(name)?.help ?? ctx.servedHelp(name);
    },
  },
  'system.methodSignature': {
    help: 'system.methodSignature(name) -> not supported, as in Python',
    run: () => 'signatures not supported',
  },
  'system.multicall': {
    help: 'system.multicall([{methodName, params}]) -> [[result] or fault struct]',
    run: () => null,
  },
};

/** The built-ins by name. A Map: a call named __proto__ or constructor finds nothing, and a miss (most calls) is cheap. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map(Object.entries(TABLE));

export const isBuiltin = (name: string): boolean => BUILTINS.has(name);

/** Prefixes of built-in dotted names: a served class of this name would have its statics shadowed. */
const RESERVED_CLASS_NAMES = new Set(['system', 'roc']);

/**
 * Served names that a built-in would shadow: a function named like one
 * (`ping`), or a class whose `Class.static` names would meet `system.*` or
 * the library's `roc.*`. Each is a line naming the file and what to do.
 */
export function shadowedNames(served: ServedModules): string[] {
  const problems: string[] = [];
  for (const f of served.functions.values()) {
    if (isBuiltin(f.name))
      problems.push(
        `${f.file} exports a function named ${f.name}, which is a built-in method of the agent (${BUILTINS.get(f.name)!.help}); rename it`,
      );
  }
  for (const c of served.classes.values()) {
    if (isBuiltin(c.name))
      problems.push(`${c.file} exports a class named ${c.name}, which is a built-in method of the agent; rename it`);
    else if (c.name === ITERATOR_CLASS)
      problems.push(
        `${c.file} exports a class named ${c.name}, the name the agent gives the async iterators it serves; rename it`,
      );
    else if (RESERVED_CLASS_NAMES.has(c.name))
      problems.push(
        `${c.file} exports a class named ${c.name}, whose static methods would meet the agent's own ${c.name}.* methods; rename it`,
      );
  }
  return problems;
}
