import { inspect } from 'node:util';
import type { Topology } from '../topology/index.js';
import { withDeadline } from '../wire/index.js';
import { toSlim, VOID } from './convert.js';
import { exceptionResult, SlimFailure, stopTagOf } from './exceptions.js';
import { importPath, nameVariants, type FixtureClass, type ImportedPath } from './fixtures.js';
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

type Found = { call: (args: unknown[]) => unknown } | undefined;

/** Runs SLIM instruction lists; one per connection, holding instances, libraries, symbols and imports. */
export class SlimExecutor {
  private readonly instances = new Map<string, unknown>();
  private readonly libraries: { name: string; instance: unknown }[] = [];
  private readonly imports: ImportedPath[] = [];
  private readonly missingImports: string[] = [];
  readonly symbols = new SymbolStore();
  private readonly options: ExecutorOptions;
  private topologyValue: Topology | undefined | null = null;

  constructor(options: ExecutorOptions = {}) {
    this.options = options;
    this.libraries.push({ name: 'SlimHelperLibrary', instance: new SlimHelperLibrary(this) });
  }

  instance(name: string): unknown {
    if (this.instances.has(name)) return this.instances.get(name);
    const lib = this.libraries.find((l) => l.name === name);
    if (lib) return lib.instance;
    throw new SlimFailure('NO_INSTANCE', `${name}.`);
  }

  setInstance(name: string, value: unknown): void {
    this.instances.set(name, value);
  }

  private topology(): Topology | undefined {
    if (this.topologyValue === null) {
      try {
        this.topologyValue = this.options.topology ? this.options.topology() : undefined;
      } catch {
        this.topologyValue = undefined;
      }
    }
    return this.topologyValue ?? undefined;
  }

  /** One batch: results in order; a stop or ignore exception skips the rest of the batch. */
  async execute(statements: SlimList): Promise<SlimList> {
    const results: SlimList = [];
    for (const statement of statements) {
      const { id, result, stop } = await this.executeStatement(statement);
      results.push([id, result]);
      if (stop) break;
    }
    return results;
  }

  private async executeStatement(statement: SlimValue): Promise<{ id: string; result: SlimValue; stop: boolean }> {
    const words = Array.isArray(statement) ? statement : [statement];
    const id = typeof words[0] === 'string' ? words[0] : '';
    const op = typeof words[1] === 'string' ? words[1].toLowerCase() : '';
    const word = (i: number): string => {
      const w = words[i];
      if (typeof w !== 'string') throw new SlimFailure('MALFORMED_INSTRUCTION', `[${words.map(String).join(',')}].`);
      return w;
    };
    this.options.verbose?.(`${inspect(words, { depth: 4, breakLength: Infinity })}`);
    let result: SlimValue;
    let stop = false;
    try {
      const run = async (): Promise<SlimValue> => {
        switch (op) {
          case 'import':
            await this.import(word(2));
            return 'OK';
          case 'make':
            await this.make(word(2), word(3), words.slice(4));
            return 'OK';
          case 'call':
            return toSlim(await this.call(word(2), word(3), words.slice(4)));
          case 'callandassign': {
            const value = await this.call(word(3), word(4), words.slice(5));
            this.symbols.set(word(2), value);
            return toSlim(value);
          }
          case 'assign':
            this.symbols.set(word(2), words[3]);
            return 'OK';
          default:
            throw new SlimFailure('MALFORMED_INSTRUCTION', words.length < 2 ? `[${words.map(String).join(',')}].` : `unknown operation ${String(words[1])}`);
        }
      };
      result = await this.withDeadline(run());
    } catch (err) {
      result = exceptionResult(err);
      stop = !(err instanceof SlimFailure) && stopTagOf(err) !== undefined;
    }
    this.options.verbose?.(`  -> ${typeof result === 'string' && result.length > 300 ? `${result.slice(0, 300)}...` : inspect(result, { depth: 4, breakLength: Infinity })}`);
    return { id, result, stop };
  }

  private withDeadline<T>(p: Promise<T>): Promise<T> {
    const sec = this.options.statementTimeoutSec;
    return sec ? withDeadline(p, sec * 1000, () => new SlimFailure('TIMED_OUT', String(sec))) : p;
  }

  private async import(given: string): Promise<void> {
    if (this.imports.some((i) => i.given === given)) return;
    const imported = await importPath(given, this.options.cwd ?? process.cwd());
    // Java's server accepts any import; one that names nothing here is reported when a class is not found.
    if (!imported) {
      if (!this.missingImports.includes(given)) this.missingImports.push(given);
      return;
    }
    this.imports.unshift(imported);
  }

  private findClass(className: string): FixtureClass | undefined {
    const dot = className.lastIndexOf('.');
    const simple = className.slice(dot + 1);
    const prefix = dot > 0 ? className.slice(0, dot).replace(/\./g, '/') : '';
    for (const imp of this.imports) {
      if (prefix && !imp.given.replace(/\./g, '/').includes(prefix) && !imp.files.some((f) => f.includes(prefix))) continue;
      for (const name of nameVariants(simple)) {
        const hit = imp.classes.get(name);
        if (hit) return hit.ctor;
      }
    }
    return undefined;
  }

  private async make(instanceName: string, classNameArg: string, rawArgs: SlimValue[]): Promise<void> {
    const args = rawArgs.map((a) => this.symbols.replace(a));
    let instance: unknown;
    const stored = this.symbols.whole(classNameArg);
    if (stored.found && typeof stored.value !== 'string' && stored.value !== null && stored.value !== undefined) {
      instance = stored.value; // fixture chaining: the symbol holds the object itself
    } else {
      const className = this.symbols.replaceInText(classNameArg);
      const remote = isRemoteFixtureName(className, this.topology());
      if (remote) {
        instance = await makeRemote(this.topology()!, remote.guest, remote.cls, args);
      } else {
        const ctor = this.findClass(className);
        if (!ctor) {
          const searched = this.imports.map((i) => i.given);
          const missing = this.missingImports.length ? `; imports that named nothing: ${this.missingImports.join(', ')}` : '';
          throw new SlimFailure('NO_CLASS', `${className}: not exported by any imported path (${searched.join(', ') || 'nothing imported'})${missing}`);
        }
        try {
          instance = new ctor(...args);
        } catch (err) {
          if (stopTagOf(err)) throw err;
          const e = err as Error;
          throw new SlimFailure('COULD_NOT_INVOKE_CONSTRUCTOR', `${className}[${args.length}]: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, { cause: err });
        }
      }
    }
    if (instanceName.startsWith('library')) this.libraries.push({ name: instanceName, instance });
    else this.instances.set(instanceName, instance);
  }

  /** A method by name (first letter either case); `setX(v)` and `x()` also reach a plain property x. */
  private findMethod(target: unknown, method: string, argc: number): Found {
    if (target === null || target === undefined) return undefined;
    if (target instanceof RemoteFixture) return { call: (args) => callRemote(target, method, args) };
    const obj = target as Record<string, unknown>;
    for (const name of nameVariants(method)) {
      if (name.startsWith('_') || name === 'constructor') continue;
      const fn = obj[name];
      if (typeof fn === 'function') return { call: (args) => (fn as (...a: unknown[]) => unknown).apply(obj, args) };
    }
    const setter = /^set([A-Z\p{Lu}].*)$/u.exec(method);
    if (setter && argc === 1) {
      for (const name of nameVariants(setter[1]!)) if (name in obj && typeof obj[name] !== 'function') return { call: ([v]) => void (obj[name] = v) };
    }
    if (argc === 0) {
      for (const name of nameVariants(method)) if (name in obj && typeof obj[name] !== 'function' && !name.startsWith('_')) return { call: () => obj[name] };
    }
    return undefined;
  }

  private methodsOf(target: unknown): string {
    const names = new Set<string>();
    for (let o = target as object | null; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const n of Object.getOwnPropertyNames(o)) {
        if (n !== 'constructor' && !n.startsWith('_') && typeof (target as Record<string, unknown>)[n] === 'function') names.add(n);
      }
    }
    return [...names].sort().join(', ') || 'none';
  }

  /** Instance, then its systemUnderTest, then the libraries newest first (the helper library last). */
  private async call(instanceName: string, method: string, rawArgs: SlimValue[]): Promise<unknown> {
    const args = rawArgs.map((a) => this.symbols.replace(a));
    let instance: unknown;
    let missing = false;
    try {
      instance = this.instance(instanceName);
    } catch {
      missing = true;
    }
    const candidates: unknown[] = missing ? [] : [instance, (instance as { systemUnderTest?: unknown } | null)?.systemUnderTest];
    for (let i = this.libraries.length - 1; i >= 0; i--) candidates.push(this.libraries[i]!.instance);
    for (const target of candidates) {
      const found = this.findMethod(target, method, args.length);
      if (found) return await found.call(args);
    }
    if (missing) throw new SlimFailure('NO_INSTANCE', `${instanceName}.${method}.`);
    const cls = instance instanceof RemoteFixture ? String(instance) : (instance as object)?.constructor?.name ?? typeof instance;
    throw new SlimFailure('NO_METHOD_IN_CLASS', `No Method ${method}[${args.length}] in class ${cls}. Available methods: ${this.methodsOf(instance)}`);
  }
}

export { VOID };
