/**
 * What a caller may reach on a served object: its public methods and
 * attributes, found on the object or its prototypes below Object.prototype.
 * Names starting with `_`, `constructor`, and anything that could lead to a
 * prototype are never reachable, whatever the object defines.
 */
const NEVER = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);
const IDENTIFIER = /^[A-Za-z$][\w$]*$/;

export function isPublicName(name: string): boolean {
  return IDENTIFIER.test(name) && !NEVER.has(name);
}

type Found =
  | { kind: 'method'; fn: (...args: unknown[]) => unknown }
  | { kind: 'data'; value: unknown }
  | { kind: 'accessor'; get?: () => unknown; set?: (v: unknown) => void };

/** Looks a public name up without running any getter on the way. */
export function lookup(target: object, name: string): Found | undefined {
  if (!isPublicName(name)) return undefined;
  for (
    let o: object | null = target;
    o && o !== Object.prototype && o !== Function.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    const desc = Object.getOwnPropertyDescriptor(o, name);
    if (!desc) continue;
    if ('value' in desc) {
      return typeof desc.value === 'function'
        ? { kind: 'method', fn: desc.value as (...args: unknown[]) => unknown }
        : { kind: 'data', value: desc.value };
    }
    return { kind: 'accessor', get: desc.get, set: desc.set };
  }
  return undefined;
}

/** Public method names of an object or a class's instances, sorted. */
export function publicMethods(target: object): string[] {
  const names = new Set<string>();
  for (
    let o: object | null = target;
    o && o !== Object.prototype && o !== Function.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (!isPublicName(name) || names.has(name)) continue;
      const found = lookup(target, name);
      if (found?.kind === 'method') names.add(name);
    }
  }
  return [...names].sort();
}

/** Public static methods of a class (callable as `Class.method`). */
export function publicStatics(ctor: object): string[] {
  return Object.getOwnPropertyNames(ctor)
    .filter(
      (n) =>
        isPublicName(n) &&
        n !== 'length' &&
        n !== 'name' &&
        typeof Object.getOwnPropertyDescriptor(ctor, n)?.value === 'function',
    )
    .sort();
}

/** Parameter names as written in the source, for describe() and methodHelp. Best effort: it reads the function's text. */
export function parameterList(fn: (...args: never[]) => unknown): string {
  const src = Function.prototype.toString.call(fn);
  const match = /^[^(]*\(([^)]*)\)/.exec(src) ?? /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (!match) return '';
  return match[1]!
    .split(',')
    .map((p) =>
      p
        .replace(/\/\*.*?\*\//g, '')
        .replace(/=.*$/s, '')
        .trim(),
    )
    .filter(Boolean)
    .join(', ');
}
