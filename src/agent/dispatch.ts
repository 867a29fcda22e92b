import { hostname } from 'node:os';
import { FaultCode, isRef, makeRef, REF_HANDLE, withDeadline, XmlRpcFault, type CallOutcome, type EncodeOptions, type XmlRpcStruct, type XmlRpcValue } from '../wire/index.js';
import { VERSION } from '../version.js';
import { isPublicName, lookup, parameterList, publicMethods, publicStatics } from './access.js';
import { applicationFault, fault } from './faults.js';
import type { HandleTable } from './handles.js';
import type { AnyClass, ServedModules } from './loader.js';

export interface DispatcherOptions {
  served: ServedModules;
  handles: HandleTable;
  /** Starts stopping the agent; shutdown() is answered on the connection it came on. Undefined: shutdown() is refused. */
  onShutdown?: () => void;
  /** Per-call deadline for served code in ms; 0 or undefined: none. */
  callTimeoutMs?: number;
  /** Calls running at once before new ones get a BusyError fault; undefined: no limit. */
  maxConcurrent?: number;
  /** Extra namespaced functions (the built-in guest library), by wire name. */
  library?: ReadonlyMap<string, (...args: unknown[]) => unknown>;
  startedAt?: number;
}

type Handler = (params: XmlRpcValue[]) => unknown;

const BUILTINS_HELP: Record<string, string> = {
  classes: 'classes() -> names of the classes this agent serves',
  create: 'create(className, args) -> handle of a new instance',
  instances: 'instances() -> handles of the live instances',
  shutdown: 'shutdown() -> stops the agent after answering',
  release: 'release(handle) -> true if the handle was live; frees the object',
  getattr: 'getattr(handle, name) -> the value of a public attribute',
  setattr: 'setattr(handle, name, value) -> sets a public attribute',
  describe: 'describe() -> classes with their methods, and functions, for tooling',
  ping: 'ping() -> agent version, boot id, pid, hostname, uptime and modules',
  'system.listMethods': 'system.listMethods() -> every callable method name',
  'system.methodHelp': 'system.methodHelp(name) -> a line of help for a method',
  'system.methodSignature': 'system.methodSignature(name) -> not supported, as in Python',
  'system.multicall': 'system.multicall([{methodName, params}]) -> [[result] or fault struct]',
};

function expectString(value: XmlRpcValue | undefined, what: string, method: string): string {
  if (typeof value !== 'string') {
    throw fault(FaultCode.INVALID_PARAMS, 'TypeError', `${method}: ${what} must be a string, got ${value === undefined ? 'nothing' : typeof value}`);
  }
  return value;
}

export class Dispatcher {
  private readonly served: ServedModules;
  private readonly handles: HandleTable;
  private readonly options: DispatcherOptions;
  private readonly builtins: Map<string, Handler>;
  private readonly servedCtors: Map<AnyClass, string>;
  private readonly startedAt: number;
  /** Turns served instances inside answers into handles. */
  readonly encodeOptions: EncodeOptions;

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.served = options.served;
    this.handles = options.handles;
    this.startedAt = options.startedAt ?? Date.now();
    this.servedCtors = new Map([...this.served.classes.values()].map((c) => [c.ctor, c.name]));
    this.encodeOptions = {
      replace: (obj) => {
        const className = this.servedClassOf(obj);
        return className ? makeRef(this.handles.add(obj, className), className) : undefined;
      },
    };
    this.builtins = new Map<string, Handler>([
      ['classes', () => this.classNames()],
      ['create', (p) => this.create(p)],
      ['instances', () => this.handles.names()],
      ['release', (p) => this.handles.release(expectString(p[0], 'the handle', 'release'))],
      ['getattr', (p) => this.getattr(p)],
      ['setattr', (p) => this.setattr(p)],
      ['describe', () => this.describe()],
      ['ping', () => this.ping()],
      ['system.listMethods', () => this.listMethods()],
      ['system.methodHelp', (p) => this.methodHelp(expectString(p[0], 'the method name', 'system.methodHelp'))],
      ['system.methodSignature', () => 'signatures not supported'],
    ]);
  }

  /** Turns `roc:handle` structs in arguments back into the objects they name. */
  readonly reviveStruct = (struct: XmlRpcStruct): unknown => (isRef(struct) ? this.handles.get(struct[REF_HANDLE]).object : struct);

  private servedClassOf(obj: object): string | undefined {
    const proto = Object.getPrototypeOf(obj);
    if (proto === Object.prototype || proto === null) return undefined;
    const direct = this.servedCtors.get(obj.constructor as AnyClass);
    if (direct) return direct;
    for (const [ctor, name] of this.servedCtors) if (obj instanceof (ctor as unknown as new () => object)) return name;
    return undefined;
  }

  classNames(): string[] {
    return [...this.served.classes.keys()].sort();
  }

  private unknownClass(name: string): XmlRpcFault {
    const available = this.classNames();
    return fault(FaultCode.INVALID_PARAMS, 'UnknownClassError', `no class ${JSON.stringify(name)} on this agent; it serves ${available.length ? available.join(', ') : 'no classes'}`, { className: name, available });
  }

  private create(params: XmlRpcValue[]): Promise<unknown> {
    const className = expectString(params[0], 'the class name', 'create');
    const served = this.served.classes.get(className);
    if (!served) throw this.unknownClass(className);
    const raw = params[1];
    const args: unknown[] = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
    const ctor = served.ctor as unknown as new (...a: unknown[]) => object;
    return this.run(() => new ctor(...args), `${className}(...)`).then((object) => this.handles.add(object as object, className));
  }

  private getattr(params: XmlRpcValue[]): unknown {
    const handle = expectString(params[0], 'the handle', 'getattr');
    const name = expectString(params[1], 'the attribute name', 'getattr');
    const { object, className } = this.handles.get(handle);
    const found = lookup(object, name);
    if (!found || (found.kind === 'accessor' && !found.get)) {
      throw fault(FaultCode.INVALID_PARAMS, 'AttributeError', `${className} has no public attribute ${JSON.stringify(name)}`);
    }
    if (found.kind === 'method') {
      throw fault(FaultCode.INVALID_PARAMS, 'AttributeError', `${className}.${name} is a method: call it instead of reading it`);
    }
    if (found.kind === 'data') return found.value;
    return this.run(() => found.get!.call(object), `${handle}.${name}`);
  }

  private setattr(params: XmlRpcValue[]): unknown {
    const handle = expectString(params[0], 'the handle', 'setattr');
    const name = expectString(params[1], 'the attribute name', 'setattr');
    const { object, className } = this.handles.get(handle);
    const found = lookup(object, name);
    if (found?.kind === 'method') throw fault(FaultCode.INVALID_PARAMS, 'AttributeError', `${className}.${name} is a method and cannot be replaced`);
    if (found?.kind === 'accessor' && !found.set) throw fault(FaultCode.INVALID_PARAMS, 'AttributeError', `${className}.${name} is read-only`);
    if (!found && !isPublicName(name)) throw fault(FaultCode.INVALID_PARAMS, 'AttributeError', `${JSON.stringify(name)} is not a public attribute name`);
    return this.run(() => {
      (object as Record<string, unknown>)[name] = params[2];
      return null;
    }, `${handle}.${name}`);
  }

  private describe(): XmlRpcStruct {
    const classes = [...this.served.classes.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((c) => ({
        name: c.name,
        module: c.file,
        constructor: parameterList(c.ctor as unknown as (...a: never[]) => unknown),
        methods: publicMethods(c.ctor.prototype as object).map((m) => ({ name: m, params: parameterList((c.ctor.prototype as Record<string, (...a: never[]) => unknown>)[m]!) })),
        statics: publicStatics(c.ctor),
      }));
    const functions = [...this.served.functions.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((f) => ({ name: f.name, module: f.file, params: parameterList(f.fn) }));
    const library = [...(this.options.library?.keys() ?? [])].sort();
    return Object.assign(Object.create(null), { version: VERSION, bootId: this.handles.bootId, classes, functions, library }) as XmlRpcStruct;
  }

  private ping(): XmlRpcStruct {
    return Object.assign(Object.create(null), {
      version: VERSION,
      bootId: this.handles.bootId,
      pid: process.pid,
      hostname: hostname(),
      uptime: (Date.now() - this.startedAt) / 1000,
      node: process.version,
      modules: [...this.served.files],
      classes: this.classNames(),
      library: this.options.library !== undefined && this.options.library.size > 0,
      handles: this.handles.size,
    }) as XmlRpcStruct;
  }

  private listMethods(): string[] {
    const names = [...this.builtins.keys(), 'system.multicall', 'shutdown', ...this.served.functions.keys(), ...(this.options.library?.keys() ?? [])];
    for (const c of this.served.classes.values()) for (const s of publicStatics(c.ctor)) names.push(`${c.name}.${s}`);
    for (const handle of this.handles.names()) {
      for (const m of publicMethods(this.handles.get(handle).object)) names.push(`${handle}.${m}`);
    }
    return [...new Set(names)].sort();
  }

  private methodHelp(name: string): string {
    if (BUILTINS_HELP[name]) return BUILTINS_HELP[name]!;
    const fn = this.served.functions.get(name);
    if (fn) return `${name}(${parameterList(fn.fn)}) from ${fn.file}`;
    const lib = this.options.library?.get(name);
    if (lib) return `${name}(${parameterList(lib as (...a: never[]) => unknown)}) from the built-in guest library`;
    const target = this.resolveDotted(name);
    if (target) return `${target.owner}.${target.member}(${parameterList(target.fn as (...a: never[]) => unknown)})`;
    return '';
  }

  /** `<handle>.<method>` or `<Class>.<static>`: the function and its receiver, or undefined. */
  private resolveDotted(name: string): { receiver: object; fn: (...a: unknown[]) => unknown; owner: string; member: string } | undefined {
    const dot = name.indexOf('.');
    if (dot <= 0) return undefined;
    const head = name.slice(0, dot);
    const member = name.slice(dot + 1);
    if (this.handles.isHandleShaped(head)) {
      const { object, className } = this.handles.get(head);
      const found = lookup(object, member);
      if (found?.kind !== 'method') {
        throw fault(FaultCode.METHOD_NOT_FOUND, 'MethodNotFoundError', `${className} has no public method ${JSON.stringify(member)}; it has ${publicMethods(object).join(', ') || 'none'}`, { className, method: member });
      }
      return { receiver: object, fn: found.fn, owner: className, member };
    }
    const cls = this.served.classes.get(head);
    if (cls && publicStatics(cls.ctor).includes(member)) {
      return { receiver: cls.ctor, fn: (cls.ctor as unknown as Record<string, (...a: unknown[]) => unknown>)[member]!, owner: head, member };
    }
    return undefined;
  }

  /** Runs served code: sync throws and rejections become application faults; the deadline applies. */
  private run(fn: () => unknown, method: string): Promise<unknown> {
    let result: unknown;
    try {
      result = fn();
    } catch (err) {
      return Promise.reject(applicationFault(err, method));
    }
    const promise = result instanceof Promise || (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function')
      ? Promise.resolve(result)
      : undefined;
    if (!promise) return Promise.resolve(result);
    const ms = this.options.callTimeoutMs;
    const bounded = ms
      ? withDeadline(promise, ms, () => fault(FaultCode.CALL_TIMEOUT, 'CallTimeoutError', `${method} did not finish within the agent's ${ms} ms call deadline (roc-agent --call-timeout); it may still be running on the agent`))
      : promise;
    return bounded.catch((err: unknown) => {
      throw applicationFault(err, method);
    });
  }

  private unknownMethod(name: string): XmlRpcFault {
    const hint = this.handles.isHandleShaped(name)
      ? ' (that is a handle: call a method on it, as handle.method)'
      : this.served.classes.has(name)
        ? ` (that is a class: create an instance with create(${JSON.stringify(name)}, [args]))`
        : '';
    return fault(FaultCode.METHOD_NOT_FOUND, 'MethodNotFoundError', `method ${JSON.stringify(name)} is not supported${hint}; system.listMethods() lists what is`, { method: name });
  }

  /** Runs one call and resolves with its value; rejects with an XmlRpcFault. */
  call(name: string, params: XmlRpcValue[]): Promise<unknown> {
    try {
      const builtin = this.builtins.get(name);
      if (builtin) return Promise.resolve(builtin(params));
      const lib = this.options.library?.get(name);
      if (lib) return this.run(() => lib(...params), name);
      const dotted = this.resolveDotted(name);
      if (dotted) return this.run(() => dotted.fn.apply(dotted.receiver, params), name);
      const fn = this.served.functions.get(name);
      if (fn) return this.run(() => (fn.fn as (...a: unknown[]) => unknown)(...params), name);
      throw this.unknownMethod(name);
    } catch (err) {
      return Promise.reject(err instanceof XmlRpcFault ? err : applicationFault(err, name));
    }
  }

  private async multicall(params: XmlRpcValue[]): Promise<unknown[]> {
    const calls = params[0];
    if (!Array.isArray(calls)) throw fault(FaultCode.INVALID_PARAMS, 'TypeError', 'system.multicall takes one array of {methodName, params} structs');
    const results: unknown[] = [];
    // In order, one after another: later calls may depend on earlier ones' effects.
    for (const [i, c] of calls.entries()) {
      try {
        if (!c || typeof c !== 'object' || Array.isArray(c) || c instanceof Date || Buffer.isBuffer(c)) throw fault(FaultCode.INVALID_PARAMS, 'TypeError', `system.multicall: call ${i} is not a {methodName, params} struct`);
        const s = c as XmlRpcStruct;
        const name = expectString(s.methodName, `call ${i}'s methodName`, 'system.multicall');
        if (name === 'system.multicall' || name === 'shutdown') throw fault(FaultCode.INVALID_PARAMS, 'TypeError', `system.multicall cannot run ${name}`);
        const p = s.params ?? [];
        if (!Array.isArray(p)) throw fault(FaultCode.INVALID_PARAMS, 'TypeError', `system.multicall: call ${i}'s params must be an array`);
        results.push([await this.call(name, p)]);
      } catch (err) {
        const f = err instanceof XmlRpcFault ? err : applicationFault(err, 'system.multicall');
        results.push(f.toStruct());
      }
    }
    return results;
  }

  private running = 0;

  /** The listener's entry point. */
  readonly dispatch = async (name: string, params: XmlRpcValue[]): Promise<CallOutcome> => {
    const limit = this.options.maxConcurrent;
    if (limit !== undefined && this.running >= limit) {
      throw fault(FaultCode.BUSY, 'BusyError', `the agent is running ${this.running} calls, its limit (--max-concurrent); the call was not run, try again`);
    }
    this.running++;
    try {
      return await this.dispatchNow(name, params);
    } finally {
      this.running--;
    }
  };

  private async dispatchNow(name: string, params: XmlRpcValue[]): Promise<CallOutcome> {
    if (name === 'shutdown') {
      if (!this.options.onShutdown) throw fault(FaultCode.FORBIDDEN, 'ForbiddenError', 'remote shutdown is turned off on this agent (--no-remote-shutdown)');
      // Stop listening before answering: a caller that reconnects at once must be refused, not reset.
      this.options.onShutdown();
      return { value: null, closeConnection: true };
    }
    if (name === 'system.multicall') return { value: await this.multicall(params), encodeOptions: this.encodeOptions };
    return { value: await this.call(name, params), encodeOptions: this.encodeOptions };
  }
}
