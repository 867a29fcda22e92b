import { statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import {
  importModuleFile,
  isClass,
  listModuleFiles,
  moduleExports,
  ModuleLoadError,
  MODULE_EXTENSIONS,
} from '../modules/index.js';

export { isClass, ModuleLoadError };

export type AnyClass = abstract new (...args: never[]) => object;
export type AnyFunction = (...args: never[]) => unknown;

export interface ServedClass {
  readonly name: string;
  readonly ctor: AnyClass;
  /** The file that exported it. */
  readonly file: string;
}

export interface ServedFunction {
  readonly name: string;
  readonly fn: AnyFunction;
  readonly file: string;
}

export interface ServedModules {
  readonly classes: ReadonlyMap<string, ServedClass>;
  readonly functions: ReadonlyMap<string, ServedFunction>;
  /** Every file loaded, absolute. */
  readonly files: readonly string[];
}

function expand(path: string): string[] {
  const abs = resolve(path);
  let stats;
  try {
    stats = statSync(abs);
  } catch {
    throw new ModuleLoadError(
      `module not found: ${abs} (given as -m ${path}); pass a .js, .mjs or .cjs file, or a directory of them`,
      abs,
    );
  }
  if (stats.isDirectory()) {
    const files = listModuleFiles(abs);
    if (files.length === 0) throw new ModuleLoadError(`directory ${abs} holds no .js, .mjs or .cjs module`, abs);
    return files;
  }
  if (!MODULE_EXTENSIONS.has(extname(abs))) {
    throw new ModuleLoadError(
      `cannot serve ${abs}: only .js, .mjs and .cjs modules can be loaded (compile TypeScript first)`,
      abs,
    );
  }
  return [abs];
}

/**
 * Imports each module and collects its exported classes and functions.
 * A name exported by two different files is an error naming both.
 */
export async function loadModules(paths: readonly string[]): Promise<ServedModules> {
  const classes = new Map<string, ServedClass>();
  const functions = new Map<string, ServedFunction>();
  const files = [...new Set(paths.flatMap(expand))];
  for (const file of files) {
    const namespace = await importModuleFile(file);
    for (const [name, value] of moduleExports(namespace)) {
      if (typeof value !== 'function' || name.startsWith('_')) continue;
      const taken = classes.get(name) ?? functions.get(name);
      if (taken) {
        if (taken.file === file) continue;
        throw new ModuleLoadError(
          `${name} is exported by both ${taken.file} and ${file}; rename one or serve only one of the modules`,
          file,
        );
      }
      if (isClass(value)) classes.set(name, { name, ctor: value, file });
      else functions.set(name, { name, fn: value as AnyFunction, file });
    }
  }
  return { classes, functions, files };
}
