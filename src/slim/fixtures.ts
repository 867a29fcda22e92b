import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, resolve, sep } from 'node:path';
import { importModuleFile, isClass, listModuleFiles, moduleExports, MODULE_EXTENSIONS } from '../modules/index.js';
import { named, RocError } from '../wire/errors.js';

export type FixtureClass = new (...args: unknown[]) => object;

export interface ImportedPath {
  /** As the import table wrote it. */
  readonly given: string;
  /** Files it loaded. */
  readonly files: readonly string[];
  /** Exported classes by name. */
  readonly classes: ReadonlyMap<string, { ctor: FixtureClass; file: string }>;
}

/** An import of a path (it has a `/` or a module extension) that names nothing. */
export class ImportNotFoundError extends RocError {
  static {
    named(this, 'ImportNotFoundError');
  }
  readonly given: string;
  readonly tried: readonly string[];
  constructor(given: string, tried: readonly string[]) {
    super(
      `import ${given} found nothing: tried ${tried.join(', ')}; give a folder, a .js/.mjs/.cjs file, an installed package, or a Java-style package name`,
    );
    this.given = given;
    this.tried = tried;
  }
}

/** A path import names files or folders; anything else (`fitnesse.slim.test`, `eg`, `roc-toolkit`) is a package name. */
export const isPathImport = (given: string): boolean =>
  /[/\\]/.test(given) || given.startsWith('.') || MODULE_EXTENSIONS.has(extname(given));

/** The module files directly in a folder, as a Java package holds its own classes and not its subpackages'. */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && MODULE_EXTENSIONS.has(extname(e.name)))
    .map((e) => join(dir, e.name))
    .sort();
}

function asFolderOrFile(abs: string, recursive: boolean): string[] | undefined {
  if (!existsSync(abs)) return undefined;
  if (statSync(abs).isDirectory()) return recursive ? listModuleFiles(abs) : filesIn(abs);
  return [abs];
}

/** What an import table names, and every place looked at: a folder, a file, a package, or a dotted package read as folders. */
function locate(given: string, cwd: string): { files: string[] | undefined; tried: string[] } {
  const tried: string[] = [];
  const attempt = (abs: string, recursive: boolean): string[] | undefined => {
    tried.push(abs);
    return asFolderOrFile(abs, recursive);
  };
  // A dotted name is a Java package: its folder's own modules, not its subfolders'.
  const dotted = !isPathImport(given) && given.includes('.');
  const files =
    attempt(resolve(cwd, given), !dotted) ??
    (dotted ? attempt(resolve(cwd, given.replace(/\./g, sep)), false) : undefined) ??
    (extname(given) === ''
      ? [...MODULE_EXTENSIONS].map((ext) => attempt(resolve(cwd, `${given}${ext}`), false)).find(Boolean)
      : undefined);
  if (files) return { files, tried };
  tried.push(`the package ${given}`);
  try {
    return { files: [createRequire(join(cwd, 'noop.js')).resolve(given)], tried };
  } catch {
    return { files: undefined, tried };
  }
}

/** The exported classes of module files, by their export name (a default export by its class name). */
async function classesOf(files: readonly string[]): Promise<Map<string, { ctor: FixtureClass; file: string }>> {
  const classes = new Map<string, { ctor: FixtureClass; file: string }>();
  for (const file of files) {
    for (const [name, value] of moduleExports(await importModuleFile(file)))
      if (isClass(value)) classes.set(name, { ctor: value as unknown as FixtureClass, file });
  }
  return classes;
}

/**
 * Loads every exported class of what an import table names. A path that
 * names nothing is an ImportNotFoundError that says what was tried; a
 * package name that names nothing gives undefined, as Java accepts any
 * package in an import (it is reported if a class is then not found).
 */
export async function importPath(given: string, cwd: string): Promise<ImportedPath | undefined> {
  const { files, tried } = locate(given, cwd);
  if (!files) {
    if (isPathImport(given)) throw new ImportNotFoundError(given, tried);
    return undefined;
  }
  return { given, files, classes: await classesOf(files) };
}

/** The folder a fully qualified class name's package reads as (`fitnesse.slim.test.TestSlim` -> fitnesse/slim/test), if it exists. */
export function packageFolder(qualifiedName: string, cwd: string): string | undefined {
  const dot = qualifiedName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const dir = resolve(cwd, qualifiedName.slice(0, dot).replace(/\./g, sep));
  return existsSync(dir) && statSync(dir).isDirectory() ? dir : undefined;
}

/** A package folder's classes, as importPath gives them. */
export async function packageClasses(dir: string): Promise<ImportedPath> {
  const files = filesIn(dir);
  return { given: dir, files, classes: await classesOf(files) };
}

/** Names match exactly, or with the first letter's case flipped (FitNesse's graceful names). */
export function nameVariants(name: string): string[] {
  if (!name) return [name];
  const flipped =
    (name[0] === name[0]!.toUpperCase() ? name[0]!.toLowerCase() : name[0]!.toUpperCase()) + name.slice(1);
  return flipped === name ? [name] : [name, flipped];
}
