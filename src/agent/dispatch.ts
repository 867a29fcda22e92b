import {
  isPlainStruct,
  withDeadline,
  XmlRpcFault,
  type CallContext,
  type CallOutcome,
  type EncodeOptions,
  type XmlRpcStruct,
  type XmlRpcValue,
} from '../wire/index.js';
import {
  FaultCode,
  isRef,
  ITERATOR_CLASS,
  LEASE_HEADER,
  LEASE_TTL_HEADER,
  leaseOf,
  makeRef,
  REF_HANDLE,
} from '../protocol/index.js';
import { lookup, parameterList, publicMethods, publicStatics } from './access.js';
import { BUILTINS, shadowedNames, type BuiltinContext, type CallScope } from './builtins.js';
import { applicationFault, fault } from './faults.js';
import type { HandleTable } from './handles.js';

import { ModuleLoadError, type AnyClass, type ServedModules } from './loader.js';
import { isLibraryTaken, withCall } from '../guestlib/call-context.js';
import { Cursor, isAsyncIterable } from './cursor.js';

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

const NO_LEASE: CallScope = { lease: undefined };
/** Handles of served iterators are named for their class. */
const ITERATOR_HANDLE_PREFIX = `${ITERATOR_CLASS}_`;

/** Routes each call: a built-in, the guest library, `<handle>.<method>`, `<Class>.<static>`, or an exported function. */
export class Dispatcher {
  private readonly served: ServedModules;
  private readonly handles: HandleTable;
  private readonly options: DispatcherOptions;
  private readonly servedCtors: Map<AnyClass, string>;
  private readonly context: BuiltinContext;
  /** Turns served instances inside answers into handles that belong to no lease. */
  private readonly unleased: EncodeOptions;
  /** The same for each lease, made once per lease rather than once per call. */
  private readonly leased = new Map<string, EncodeOptions>();
  private readonly ttlHeaders: Readonly<Record<string, string>>;
  private running = 0;
  private answered = 0;

  constructor(options: DispatcherOptions) {
    const shadowed = shadowedNames(options.served);
    if (shadowed.length) throw new ModuleLoadError(shadowed.join('\n'), options.served.files[0] ?? '');
    this.options = options;
    this.served = options.served;
    this.handles = options.handles;
    this.servedCtors = new Map([...this.served.classes.values()].map((c) => [c.ctor, c.name]));
    this.unleased = this.encodeOptionsFor(NO_LEASE);
    this.ttlHeaders = { [LEASE_TTL_HEADER]: String(this.handles.leases.ttlMs) };
    this.context = {
      served: this.served,
      handles: this.handles,
      library: options.library,
      startedAt: options.startedAt ?? Date.now(),
      // The ping asking is one of them: the others are what the agent is busy with.
      callsUnderWay: () => Math.max(0, this.running - 1),
      callsServed: () => this.answered,
      run: (fn, method) => this.run(fn, method),
      listMethods: () => this.listMethods(),
      servedHelp: (name) => this.servedHelp(name),
    };
  }

  /** Turns `roc:handle` structs in arguments back into the objects they name. */
  readonly reviveStruct = (struct: XmlRpcStruct): unknown =>
    isRef(struct) ? this.handles.get(struct[REF_HANDLE]).object : struct;

  private encodeOptionsFor(scope: CallScope): EncodeOptions {
    return {
      replace: (obj) => {
        const className = this.servedClassOf(obj);
        if (className) return makeRef(this.handles.add(obj, className, scope.lease), className);
        // An async iterable (a generator, a stream, a follow()) stays here; the caller pulls from it.
        if (isAsyncIterable(obj)) {
          const cursor = new Cursor(obj);
          // Freed by the caller (release, a lapsed lease) or the agent closing: the source's own cleanup runs.
          const handle = this.handles.add(cursor, ITERATOR_CLASS, scope.lease, () => void cursor.return());
          cursor.bind(() => this.handles.release(handle));
          return makeRef(handle, ITERATOR_CLASS);
        }
        return undefined;
      },
    };
  }

  private leaseEncodeOptions(lease: string): EncodeOptions {
    let options = this.leased.get(lease);
    if (!options) {
      // Forget the options of leases that are gone, so the map stays as small as the lease table.
      if (this.leased.size > this.handles.leases.size + 16)
        for (const id of this.leased.keys()) if (!this.handles.leases.has(id)) this.leased.delete(id);
      options = this.encodeOptionsFor({ lease });
      this.leased.set(lease, options);
    }
    return options;
  }

  private servedClassOf(obj: object): string | undefined {
    if (isPlainStruct(obj)) return undefined;
    const direct = this.servedCtors.get(obj.constructor as AnyClass);
    if (direct) return direct;
    for (const [ctor, name] of this.servedCtors) if (obj instanceof (ctor as unknown as new () => object)) return name;
    return undefined;
  }

  private listMethods(): string[] {
    const names = [...BUILTINS.keys(), ...this.served.functions.keys(), ...(this.options.library?.keys() ?? [])];
    for (const c of this.served.classes.values()) for (const s of publicStatics(c.ctor)) names.push(`${c.name}.${s}`);
    for (const handle of this.handles.names()) {
      for (const m of publicMethods(this.handles.get(handle).object)) names.push(`${handle}.${m}`);
    }
    return [...new Set(names)].sort();
  }

  private servedHelp(name: string): string {
    const fn = this.served.functions.get(name);
    if (fn) return `${name}(${parameterList(fn.fn)}) from ${fn.file}`;
    const lib = this.options.library?.get(name);
    if (lib) return `${name}(${parameterList(lib as (...a: never[]) => unknown)}) from the built-in guest library`;
    const target = this.resolveDotted(name);
    if (target) return `${target.owner}.${target.member}(${parameterList(target.fn as (...a: never[]) => unknown)})`;
    return '';
  }

  /** `<handle>.<method>` or `<Class>.<static>`: the function and its receiver, or undefined. */
  private resolveDotted(
    name: string,
  ): { receiver: object; fn: (...a: unknown[]) => unknown; owner: string; member: string } | undefined {
    const dot = name.indexOf('.');
    if (dot <= 0) return undefined;
    const head = name.slice(0, dot);
    const member = name.slice(dot + 1);
    if (this.handles.isHandleShaped(head)) {
      const { object, className } = this.handles.get(head);
      const found = lookup(object, member);
      if (found?.kind !== 'method') {
        throw fault(
          FaultCode.METHOD_NOT_FOUND,
          'MethodNotFoundError',
          `${className} has no public method ${JSON.stringify(member)}; it has ${publicMethods(object).join(', ') || 'none'}`,
          { className, method: member },
        );
      }
      return { receiver: object, fn: found.fn, owner: className, member };
    }
    const cls = this.served.classes.get(head);
    if (cls && publicStatics(cls.ctor).includes(member)) {
      return {
        receiver: cls.ctor,
        fn: (cls.ctor as unknown as Record<string, (...a: unknown[]) => unknown>)[member]!,
        owner: head,
        member,
      };
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
    const promise =
      result instanceof Promise ||
      (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function')
        ? Promise.resolve(result)
        : undefined;
    if (!promise) return Promise.resolve(result);
    const ms = this.options.callTimeoutMs;
    const bounded = ms
      ? withDeadline(promise, ms, () =>
          fault(
            FaultCode.CALL_TIMEOUT,
            'CallTimeoutError',
            `${method} did not finish within the agent's ${ms} ms call deadline (roc-agent --call-timeout); it may still be running on the agent`,
          ),
        )
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
    return fault(
      FaultCode.METHOD_NOT_FOUND,
      'MethodNotFoundError',
      `method ${JSON.stringify(name)} is not supported${hint}; system.listMethods() lists what is`,
      { method: name },
    );
  }

  /** Runs one call and resolves with its value; rejects with an XmlRpcFault. */
  call(name: string, params: XmlRpcValue[], scope: CallScope = NO_LEASE): Promise<unknown> {
    try {
      const builtin = BUILTINS.get(name);
      if (builtin) return Promise.resolve(builtin.run(this.context, params, scope));
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

  private async multicall(params: XmlRpcValue[], scope: CallScope): Promise<unknown[]> {
    const calls = params[0];
    if (!Array.isArray(calls))
      throw fault(
        FaultCode.INVALID_PARAMS,
        'TypeError',
        'system.multicall takes one array of {methodName, params} structs',
      );
    const results: unknown[] = [];
    // In order, one after another: later calls may depend on earlier ones' effects.
    for (const [i, c] of calls.entries()) {
      try {
        if (!c || typeof c !== 'object' || Array.isArray(c) || c instanceof Date || Buffer.isBuffer(c))
          throw fault(
            FaultCode.INVALID_PARAMS,
            'TypeError',
            `system.multicall: call ${i} is not a {methodName, params} struct`,
          );
        const s = c as XmlRpcStruct;
        const name = typeof s.methodName === 'string' ? s.methodName : undefined;
        if (name === undefined)
          throw fault(
            FaultCode.INVALID_PARAMS,
            'TypeError',
            `system.multicall: call ${i}'s methodName must be a string, got ${s.methodName === undefined ? 'nothing' : typeof s.methodName}`,
          );
        if (name === 'system.multicall' || name === 'shutdown')
          throw fault(FaultCode.INVALID_PARAMS, 'TypeError', `system.multicall cannot run ${name}`);
        const p = s.params ?? [];
        if (!Array.isArray(p))
          throw fault(FaultCode.INVALID_PARAMS, 'TypeError', `system.multicall: call ${i}'s params must be an array`);
        results.push([await this.call(name, p, scope)]);
      } catch (err) {
        const f = err instanceof XmlRpcFault ? err : applicationFault(err, 'system.multicall');
        results.push(f.toStruct());
      }
    }
    return results;
  }

  /** The listener's entry point. A call that names a lease renews it, whatever the call's fate. */
  readonly dispatch = async (name: string, params: XmlRpcValue[], context?: CallContext): Promise<CallOutcome> => {
    const lease = leaseOf(context?.headers[LEASE_HEADER]);
    const untold = lease !== undefined && this.handles.leases.renew(lease, context!.remoteAddress);
    const limit = this.options.maxConcurrent;
    if (limit !== undefined && this.running >= limit) {
      throw fault(
        FaultCode.BUSY,
        'BusyError',
        `the agent is running ${this.running} calls, its limit (--max-concurrent); the call was not run, try again`,
      );
    }
    this.running++;
    this.answered++;
    try {
      const scope = { lease, caller: context?.remoteAddress };
      const outcome =
        context && this.needsCallContext(name)
          ? await withCall(
              {
                caller: context.remoteAddress,
                get signal() {
                  return context.signal;
                },
              },
              () => this.dispatchNow(name, params, scope),
            )
          : await this.dispatchNow(name, params, scope);
      // The client learns how often to renew from its first answer here (again after a restart, which
      // empties the table): no extra round trip, and no extra header on every answer.
      if (untold) {
        outcome.headers = this.ttlHeaders;
        this.handles.leases.told(lease);
      }
      return outcome;
    } finally {
      this.running--;
    }
  };

  /**
   * Whether what this call runs may read the call's context (callSignal,
   * the caller): the guest library's methods, an iterator's pull (a long poll),
   * a multicall (it may run either), and served code once it has taken the
   * guest library. Other calls run without it, which spares them the cost of
   * keeping it (withCall).
   */
  private needsCallContext(name: string): boolean {
    return (
      isLibraryTaken() ||
      name.startsWith(ITERATOR_HANDLE_PREFIX) ||
      name === 'system.multicall' ||
      this.options.library?.has(name) === true
    );
  }

  private async dispatchNow(name: string, params: XmlRpcValue[], scope: CallScope): Promise<CallOutcome> {
    if (name === 'shutdown') {
      if (!this.options.onShutdown)
        throw fault(
          FaultCode.FORBIDDEN,
          'ForbiddenError',
          'remote shutdown is turned off on this agent (--no-remote-shutdown)',
        );
      // Stop listening before answering: a caller that reconnects at once must be refused, not reset.
      this.options.onShutdown();
      return { value: null, closeConnection: true };
    }
    const encodeOptions = scope.lease ? this.leaseEncodeOptions(scope.lease) : this.unleased;
    if (name === 'system.multicall') return { value: await this.multicall(params, scope), encodeOptions };
    return { value: await this.call(name, params, scope), encodeOptions };
  }
}
