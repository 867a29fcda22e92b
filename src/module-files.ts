import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';

/**
 * What the agent's loader and the SLIM server's import table both need:
 * which files are JavaScript modules, and which exports are classes.
 */
export const MODULE_EXTENSIONS: ReadonlySet<string> = new Set(['.js', '.mjs', '.cjs']);

/** Module files below a folder, sorted, skipping dot folders and node_modules. */
export function listModuleFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listModuleFiles(full));
    else if (MODULE_EXTENSIONS.has(extname(entry.name))) files.push(full);
  }
  return files;
}

/** A class is a function whose source says `class`, or an old-style constructor with methods on its prototype. */
export function isClass(value: unknown): value is abstract new (...args: never[]) => object {
  if (typeof value !== 'function') return false;
  if (/^class[\s{]/.test(Function.prototype.toString.call(value))) return true;
  const proto = (value as { prototype?: object }).prototype;
  return !!proto && Object.getOwnPropertyNames(proto).some((n) => n !== 'constructor');
}
