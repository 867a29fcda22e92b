import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

export type FixtureClass = new (...args: unknown[]) => object;

export interface ImportedPath {
  /** As the import table wrote it. */
  readonly given: string;
  /** Files it loaded. */
  readonly files: readonly string[];
  /** Exported classes by name. */
  readonly classes: ReadonlyMap<string, { ctor: FixtureClass; file: string }>;
}

function moduleFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...moduleFiles(full));
    else if (MODULE_EXTENSIONS.has(extname(entry.name))) out.push(full);
  }
  return out;
}

/** A directory, a file, a package (or a file in one), or a Java-style dotted path read as folders. */
function locate(given: string, cwd: string): string[] | undefined {
  const candidates = [given, given.replace(/\./g, sep)];
  for (const c of candidates) {
    const abs = resolve(cwd, c);
    if (!existsSync(abs)) continue;
    if (statSync(abs).isDirectory()) return moduleFiles(abs);
    return [abs];
  }
  try {
    return [createRequire(join(cwd, 'noop.js')).resolve(given)];
  } catch {
    return undefined;
  }
}

const isClass = (v: unknown): v is FixtureClass =>
  typeof v === 'function' && (/^class[\s{]/.test(Function.prototype.toString.call(v)) || Object.getOwnPropertyNames((v as { prototype?: object }).prototype ?? {}).length > 1);

/** Loads every exported class of what an import table names; undefined when nothing is there. */
export async function importPath(given: string, cwd: string): Promise<ImportedPath | undefined> {
  const files = locate(given, cwd);
  if (!files) return undefined;
  const classes = new Map<string, { ctor: FixtureClass; file: string }>();
  for (const file of files) {
    const ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [key, value] of Object.entries(ns)) {
      if (key === 'default') {
        if (isClass(value)) classes.set(value.name, { ctor: value, file });
        else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) if (isClass(v)) classes.set(k, { ctor: v, file });
        continue;
      }
      if (isClass(value)) classes.set(key, { ctor: value, file });
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
