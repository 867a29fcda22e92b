import { inspect } from 'node:util';
import vm from 'node:vm';
import type { Topology } from '../topology/index.js';
import { withDeadline } from '../wire/index.js';
import { toSlim, VOID } from './convert.js';
import {
  couldNotInvokeConstructor,
  exceptionResult,
  malformed,
  noClass,
  noInstance,
  noMethod,
  SlimFailure,
  stopTagOf,
  SystemExitPrevented,
  timedOut,
} from './exceptions.js';
import {
  importPath,
  isPathImport,
  nameVariants,
  packageClasses,
  packageFolder,
  type FixtureClass,
  type ImportedPath,
} from './fixtures.js';
import { callRemote, isRemoteFixtureName, makeRemote, RemoteFixture } from './remote.js';
import type { SlimList, SlimValue } from './serializer.js';
import { SymbolStore } from './symbols.js';

export interface ExecutorOptions {
  /** Where import paths are resolved (default: the working directory). */
  cwd?: string;
  /** Per-statement deadline in seconds (roc slim -s). */
  statementTimeoutSec?: number;
  /** The topology remote fixtures (`guest.Class`) use; loaded lazily when undefined. */
  topology?: () => Topology | undefined;
  /** Hears each instruction and its result (roc slim -v). */
  verbose?: (line: string) => void;
}

/** What a fixture implementing FitNesse's StatementExecutorConsumer (a `setStatementExecutor` method) is handed. */
export interface StatementExecutorView {
  getSymbol(name: string): unknown;
  assign(name: string, value: unknown): void;
  getInstance(name: string): unknown;
  setInstance(name: string, value: unknown): void;
}

/** The helper library every SLIM server offers, as FitNesse's SlimHelperLibrary does. */
class SlimHelperLibrary {
  private readonly stack: unknown[] = [];
  constructor(private readonly executor: SlimExecutor) {}
  getFixture(): unknown {
    return this.executor.instance('scriptTableActor');
  }
  pushFixture(): void {
    this.stack.push(this.getFixture());
  }
  popFixture(): void {
    this.executor.setInstance('scriptTableActor', this.stack.pop());
  }
  cloneSymbol(master: unknown): unknown {
    return master;
  }
}

type Method = (...args: unknown[]) => unknown;

/** No such instance, or no such method on a target. */
const NOT_FOUND = Symbol('not found');

const callable = (name: string): boolean => !name.startsWith('_') && name !== 'constructor';

/** What one instruction answers, and whether it stops the batch. */
interface Outcome {
  id: string;
  result: SlimValue;
  stop: boolean;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function';

const preventExit = ((code?: number | string | null) => {
  throw new SystemExitPrevented(Number(code ?? process.exitCode ?? 0));
}) as typeof process.exit;

// A synchronous fixture call runs inside this script when -s is given, so V8 can stop it at the deadline.
const BOUNDED_CALL = new vm.Script('globalThis.__rocSlimBoundedCall()', { filename: 'roc-slim-bounded-call' });

/** Runs SLIM instruction lists; one per connection, holding instances, libraries, symbols and imports. */
export class SlimExecutor {
  private readonly instances = new Map<string, unknown>();
  private readonly libraries: { name: string; instance: unknown }[] = [];
  private readonly imports: ImportedPath[] = [];
  /** Package names imported that name nothing here (Java accepts them); reported when a class is not found. */
  private readonly missingImports: string[] = [];
  private readonly packages = new Map<string, Promise<ImportedPath>>();
  readonly symbols = new SymbolStore();
  private readonly options: ExecutorOptions;
  private topologyState: { topology: Topology | undefined; error: Error | undefined } | undefined;

  constructor(options: ExecutorOptions = {}) {
    this.options = options;
    this.libraries.push({ name: 'SlimHelperLibrary', instance: new SlimHelperLibrary(this) });
  }

  private get cwd(): string {
    return this.options.cwd ?? process.cwd();
  }

  instance(name: string): unknown {
    const found = this.instanceOrMissing(name);
    if (found === NOT_FOUND) throw noInstance(name);
    return found;
  }

  private instanceOrMissing(name: string): unknown {
    const value = this.instances.get(name);
    if (value !== undefined || this.instances.has(name)) return value;
    const lib = this.libraries.find((l) => l.name === name);
    return lib ? lib.instance : NOT_FOUND;
  }

  setInstance(name: string, value: unknown): void {
    this.instances.set(name, value);
  }

  /** The topology, loaded once; a topology that does not load is remembered, to be reported where it matters. */
  private topology(): { topology: Topology | undefined; error: Error | undefined } {
    if (!this.topologyState) {
      try {
        this.topologyState = {
          topology: this.options.topology ? this.options.topology() : undefined,
          error: undefined,
        };
      } catch (err) {
        // No topology file at all is normal for a suite without remote fixtures; a broken one is not.
        const missing = /^no topology:/.test((err as Error).message);
        this.topologyState = { topology: undefined, error: missing ? undefined : (err as Error) };
      }
    }
    return this.topologyState;
  }

  /** One batch: results in order; a stop or ignore exception skips the rest of the batch. */
  async execute(statements: SlimList): Promise<SlimList> {
    const results: SlimList = [];
    // A fixture must not end the server mid-batch: while the batch runs, process.exit throws instead (as Java's SlimService prevents System.exit).
    const exit = process.exit;
    process.exit = preventExit;
    try {
      for (const statement of statements) {
        const done = this.executeStatement(statement);
        const { id, result, stop } = done instanceof Promise ? await done : done;
        results.push([id, result]);
        if (stop) break;
      }
    } finally {
      process.exit = exit;
    }
    return results;
  }

  /** One instruction; answered at once when the fixture answers at once (most do), so a batch does not wait a turn per instruction. */
  private executeStatement(statement: SlimValue): Outcome | Promise<Outcome> {
    const words = Array.isArray(statement) ? statement : [statement];
    const id = typeof words[0] === 'string' ? words[0] : '';
    this.options.verbose?.(`${inspect(words, { depth: 4, breakLength: Infinity })}`);
    let value: SlimValue | Promise<SlimValue>;
    try {
      value = this.run(words);
    } catch (err) {
      return this.outcome(id, exceptionResult(err), stopTagOf(err) !== undefined);
    }
    if (!(value instanceof Promise)) return this.outcome(id, value, false);
    return this.withDeadline(value).then(
      (v) => this.outcome(id, v, false),
      (err: unknown) => this.outcome(id, exceptionResult(err), stopTagOf(err) !== undefined),
    );
  }

  private outcome(id: string, result: SlimValue, stop: boolean): Outcome {
    this.options.verbose?.(
      `  -> ${typeof result === 'string' && result.length > 300 ? `${result.slice(0, 300)}...` : inspect(result, { depth: 4, breakLength: Infinity })}`,
    );
    return { id, result, stop };
  }

  private run(words: SlimList): SlimValue | Promise<SlimValue> {
    const op = typeof words[1] === 'string' ? words[1].toLowerCase() : '';
    const word = (i: number): string => {
      const w = words[i];
      if (typeof w !== 'string') throw malformed(`[${words.map(String).join(',')}].`);
      return w;
    };
    switch (op) {
      case 'import':
        return this.import(word(2)).then(() => 'OK');
      case 'make':
        return this.make(word(2), word(3), words.slice(4)).then(() => 'OK');
      case 'call': {
        const value = this.call(word(2), word(3), words.slice(4));
        return value instanceof Promise ? value.then((v) => toSlim(v)) : toSlim(value);
      }
      case 'callandassign': {
        const assigned = (v: unknown): SlimValue => {
          this.symbols.set(word(2), v);
          return toSlim(v);
        };
        const value = this.call(word(3), word(4), words.slice(5));
        return value instanceof Promise ? value.then(assigned) : assigned(value);
      }
      case 'assign':
        this.symbols.set(word(2), words[3]);
        return 'OK';
      default:
        throw malformed(
          words.length < 2 ? `[${words.map(String).join(',')}].` : `unknown operation ${String(words[1])}`,
        );
    }
  }

  private withDeadline<T>(p: Promise<T>): Promise<T> {
    const sec = this.options.statementTimeoutSec;
    return sec ? withDeadline(p, sec * 1000, () => timedOut(sec)) : p;
  }

  /**
   * Runs fixture code. With -s, a synchronous call runs inside a vm script
   * with a timeout, so a fixture that blocks (a busy loop) is stopped at
   * the deadline and answered TIMED_OUT, and the server goes on; an async
   * one is bounded by withDeadline.
   */
  private invoke(fn: Method, receiver: unknown, args: unknown[]): unknown {
    const sec = this.options.statementTimeoutSec;
    if (!sec) return fn.apply(receiver, args);
    const g = globalThis as { __rocSlimBoundedCall?: () => unknown };
    g.__rocSlimBoundedCall = () => fn.apply(receiver, args);
    try {
      return BOUNDED_CALL.runInThisContext({ timeout: Math.max(1, Math.round(sec * 1000)) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw timedOut(sec);
      throw err;
    } finally {
      g.__rocSlimBoundedCall = undefined;
    }
  }

  private async import(given: string): Promise<void> {
    if (this.imports.some((i) => i.given === given)) return;
    const imported = await importPath(given, this.cwd);
    if (!imported) {
      if (!this.missingImports.includes(given)) this.missingImports.push(given);
      return;
    }
    this.imports.unshift(imported);
  }

  private packageAt(dir: string): Promise<ImportedPath> {
    let p = this.packages.get(dir);
    if (!p) {
      p = packageClasses(dir);
      this.packages.set(dir, p);
    }
    return p;
  }

  private static lookup(imported: ImportedPath, simple: string): FixtureClass | undefined {
    for (const name of nameVariants(simple)) {
      const hit = imported.classes.get(name);
      if (hit) return hit.ctor;
    }
    return undefined;
  }

  /**
   * A class by name, as Java's SlimService finds one: a fully qualified name
   * first (`fitnesse.slim.test.TestSlim` in the folder fitnesse/slim/test,
   * imported or not), then each import, newest first (a dotted import is a
   * package: its name and the class's are joined, as Java does).
   */
  private async findClass(className: string): Promise<FixtureClass | undefined> {
    const dot = className.lastIndexOf('.');
    const simple = className.slice(dot + 1);
    const qualified = packageFolder(className, this.cwd);
    if (qualified) {
      const hit = SlimExecutor.lookup(await this.packageAt(qualified), simple);
      if (hit) return hit;
    }
    for (const imp of this.imports) {
      if (dot > 0 && !isPathImport(imp.given)) {
        const folder = packageFolder(`${imp.given}.${className}`, this.cwd);
        const hit = folder ? SlimExecutor.lookup(await this.packageAt(folder), simple) : undefined;
        if (hit) return hit;
        continue;
      }
      const prefix = dot > 0 ? className.slice(0, dot).replace(/\./g, '/') : '';
      if (prefix && !imp.given.replace(/\./g, '/').includes(prefix) && !imp.files.some((f) => f.includes(prefix)))
        continue;
      const hit = SlimExecutor.lookup(imp, simple);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Why a class was not found, with everything that was looked at. */
  private notFound(className: string): SlimFailure {
    const searched = this.imports.map((i) => i.given);
    const parts = [`no import has it (${searched.length ? `imported: ${searched.join(', ')}` : 'nothing imported'})`];
    if (this.missingImports.length) parts.push(`imports that named nothing here: ${this.missingImports.join(', ')}`);
    const dot = className.indexOf('.');
    if (dot > 0) {
      const { topology, error } = this.topology();
      const guest = className.slice(0, dot);
      if (error) parts.unshift(`${guest} may be a guest, but the topology did not load: ${error.message}`);
      else if (topology)
        parts.unshift(
          `${guest} is not a guest of the topology ${topology.file} (its guests: ${topology.names.join(', ')})`,
        );
      else parts.push(`for a remote fixture ${className}, set ROC_TOPOLOGY or put a roc.yml here`);
    }
    return noClass(className, parts.join('; '));
  }

  private async make(instanceName: string, classNameArg: string, rawArgs: SlimValue[]): Promise<void> {
    const args = rawArgs.map((a) => this.symbols.replace(a));
    let instance: unknown;
    const stored = this.symbols.whole(classNameArg);
    if (stored.found && typeof stored.value !== 'string' && stored.value !== null && stored.value !== undefined) {
      instance = stored.value; // fixture chaining: the symbol holds the object itself
    } else {
      const className = this.symbols.replaceInText(classNameArg);
      const { topology } = this.topology();
      const remote = isRemoteFixtureName(className, topology);
      if (remote) {
        instance = await makeRemote(topology!, remote.guest, remote.cls, args);
      } else {
        const ctor = await this.findClass(className);
        if (!ctor) throw this.notFound(className);
        try {
          instance = this.invoke((...a: unknown[]) => new ctor(...a), undefined, args);
        } catch (err) {
          if (stopTagOf(err) || err instanceof SlimFailure || err instanceof SystemExitPrevented) throw err;
          throw couldNotInvokeConstructor(className, args.length, err);
        }
      }
    }
    this.consume(instance);
    if (instanceName.startsWith('library')) this.libraries.push({ name: instanceName, instance });
    else this.instances.set(instanceName, instance);
  }

  /** FitNesse's StatementExecutorConsumer: a fixture with setStatementExecutor gets the symbols and instances. */
  private consume(instance: unknown): void {
    const consumer = instance as { setStatementExecutor?: unknown } | null;
    if (!consumer || typeof consumer.setStatementExecutor !== 'function' || instance instanceof RemoteFixture) return;
    const view: StatementExecutorView = {
      getSymbol: (name) => this.symbols.get(name),
      assign: (name, value) => this.symbols.set(name, value),
      getInstance: (name) => this.instance(name),
      setInstance: (name, value) => this.setInstance(name, value),
    };
    (consumer.setStatementExecutor as (v: StatementExecutorView) => void).call(instance, view);
  }

  /**
   * Calls a method by name (first letter either case) on one target; `setX(v)`
   * and `x()` also reach a plain property x. NOT_FOUND when the target has
   * none, so the next target is tried.
   */
  private tryCall(target: unknown, method: string, args: unknown[]): unknown {
    if (target === null || target === undefined) return NOT_FOUND;
    if (target instanceof RemoteFixture) return callRemote(target, method, args);
    const obj = target as Record<string, unknown>;
    // The name as sent first, with no allocation: it is almost always the one.
    const exact = callable(method) ? obj[method] : undefined;
    if (typeof exact === 'function') return this.invoke(exact as Method, obj, args);
    for (const name of nameVariants(method).slice(1)) {
      const fn = callable(name) ? obj[name] : undefined;
      if (typeof fn === 'function') return this.invoke(fn as Method, obj, args);
    }
    const setter = /^set([A-Z\p{Lu}].*)$/u.exec(method);
    if (setter && args.length === 1) {
      for (const name of nameVariants(setter[1]!))
        if (name in obj && typeof obj[name] !== 'function') return void (obj[name] = args[0]);
    }
    if (args.length === 0) {
      for (const name of nameVariants(method))
        if (name in obj && typeof obj[name] !== 'function' && !name.startsWith('_')) return obj[name];
    }
    return NOT_FOUND;
  }

  private methodsOf(target: unknown): string {
    const names = new Set<string>();
    for (let o = target as object | null; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const n of Object.getOwnPropertyNames(o)) {
        if (n !== 'constructor' && !n.startsWith('_') && typeof (target as Record<string, unknown>)[n] === 'function')
          names.add(n);
      }
    }
    return [...names].sort().join(', ') || 'none';
  }

  /**
   * Instance, then its systemUnderTest, then the libraries newest first (the
   * helper library last). The fixture's value, or a promise of it when the
   * fixture answers later (a thenable is taken as a promise).
   */
  private call(instanceName: string, method: string, rawArgs: SlimValue[]): unknown {
    const args = rawArgs.map((a) => this.symbols.replace(a));
    const instance = this.instanceOrMissing(instanceName);
    const missing = instance === NOT_FOUND;
    let value: unknown = NOT_FOUND;
    if (!missing) {
      value = this.tryCall(instance, method, args);
      if (value === NOT_FOUND)
        value = this.tryCall((instance as { systemUnderTest?: unknown } | null)?.systemUnderTest, method, args);
    }
    for (let i = this.libraries.length - 1; i >= 0 && value === NOT_FOUND; i--)
      value = this.tryCall(this.libraries[i]!.instance, method, args);
    if (value !== NOT_FOUND) return isThenable(value) ? Promise.resolve(value) : value;
    if (missing) throw noInstance(`${instanceName}.${method}`);
    if (instance instanceof RemoteFixture)
      throw noMethod(method, args.length, String(instance), 'it has no such method');
    const cls = (instance as object)?.constructor?.name ?? typeof instance;
    throw noMethod(method, args.length, cls, `it has ${this.methodsOf(instance)}`);
  }
}

export { VOID };
