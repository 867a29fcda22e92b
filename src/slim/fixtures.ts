import { existsSync, statSync } from 'node:fs';
import { importModuleFile, isClass, listModuleFiles } from '../module-files.js';
import { createRequire } from 'node:module';
import { join, resolve, sep } from 'node:path';


export type FixtureClass = new (...args: unknown[]) => object;

export interface ImportedPath {
  /** As the import table wrote it. */
  readonly given: string;
  /** Files it loaded. */
  readonly files: readonly string[];
  /** Exported classes by name. */
  readonly classes: ReadonlyMap<string, { ctor: FixtureClass; file: string }>;
}

/** A directory, a file, a package (or a file in one), or a Java-style dotted path read as folders. */
function locate(given: string, cwd: string): string[] | undefined {
  const candidates = [given, given.replace(/\./g, sep)];
  for (const c of candidates) {
    const abs = resolve(cwd, c);
    if (!existsSync(abs)) continue;
    if (statSync(abs).isDirectory()) return listModuleFiles(abs);
    return [abs];
  }
  try {
    return [createRequire(join(cwd, 'noop.js')).resolve(given)];
  } catch {
    return undefined;
  }
}

/** Loads every exported class of what an import table names; undefined when nothing is there. */
export async function importPath(given: string, cwd: string): Promise<ImportedPath | undefined> {
  const files = locate(given, cwd);
  if (!files) return undefined;
  const classes = new Map<string, { ctor: FixtureClass; file: string }>();
  for (const file of files) {
    const ns = await importModuleFile(file);
    for (const [key, value] of Object.entries(ns)) {
      if (key === 'default') {
        if (isClass(value)) classes.set(value.name, { ctor: value as unknown as FixtureClass, file });
        else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) if (isClass(v)) classes.set(k, { ctor: v as unknown as FixtureClass, file });
        continue;
      }
      if (isClass(value)) classes.set(key, { ctor: value as unknown as FixtureClass, file });
    }
  }
  return { given, files, classes };
}

/** Names match exactly, or with the first letter's case flipped (FitNesse's graceful names). */
export function nameVariants(name: string): string[] {
  if (!name) return [name];
  const flipped = (name[0] === name[0]!.toUpperCase() ? name[0]!.toLowerCase() : name[0]!.toUpperCase()) + name.slice(1);
  return flipped === name ? [name] : [name, flipped];
}
