import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { named, RocError } from '../wire/errors.js';

/**
 * What the agent's loader and the SLIM server's import table both need:
 * which files are JavaScript modules, which exports are classes, and
 * importing a file with a message that points at the line that failed.
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

/**
 * The exports of a module by the name a user would call them: a CommonJS
 * module's `module.exports` object unpacked, and a default-exported class
 * or function by its own name. The agent serves these; the SLIM server's
 * import table finds fixture classes among them.
 */
export function moduleExports(namespace: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(namespace)) {
    if (key !== 'default') {
      out.push([key, value]);
      continue;
    }
    if (typeof value === 'function') {
      out.push([value.name || 'default', value]);
    } else if (value && typeof value === 'object' && !Object.prototype.hasOwnProperty.call(namespace, '__esModule')) {
      for (const [k, v] of Object.entries(value)) if (!(k in namespace)) out.push([k, v]);
    }
  }
  return out;
}

/** A module that could not be loaded: the file, and where in it the problem is when that is known. */
export class ModuleLoadError extends RocError {
  static {
    named(this, 'ModuleLoadError');
  }
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(message: string, file: string, options?: { cause?: unknown; line?: number; column?: number }) {
    super(message, options);
    this.file = file;
    this.line = options?.line;
    this.column = options?.column;
  }
}

interface Location {
  file: string;
  line: number;
  column: number;
}

/**
 * Where a syntax error is. Node puts it in the stack of a CommonJS module's
 * error but not of an ES module's, so ask `node --check`, which prints
 * `file:line`, the line and a caret for both (only on this failure path).
 */
function syntaxErrorLocation(file: string): Location | undefined {
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const lines = (r.stderr ?? '').split('\n');
  // Warnings may come first; the location is the line `<file>:<line>`, then the code, then the caret.
  const i = lines.findIndex((l) => l.startsWith(`${file}:`) && /:\d+$/.test(l));
  const caret = i >= 0 ? (lines[i + 2]?.indexOf('^') ?? -1) : -1;
  if (caret < 0) return undefined;
  return { file, line: Number(lines[i]!.slice(file.length + 1)), column: caret + 1 };
}

/** The first stack frame in the module itself: where it threw while loading. */
function frameIn(file: string, stack: string): Location | undefined {
  const url = pathToFileURL(file).href;
  for (const m of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?/g)) {
    if (m[1] === file || m[1] === url) return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/** ` 3 | let x = 1 2;` and a caret under the column, as Node shows it. */
function codeFrame(loc: Location): string {
  let source: string;
  try {
    source = readFileSync(loc.file, 'utf8');
  } catch {
    return '';
  }
  const text = source.split('\n')[loc.line - 1];
  if (text === undefined) return '';
  const gutter = String(loc.line);
  return `\n    ${gutter} | ${text.replace(/\t/g, ' ')}\n    ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, loc.column - 1))}^`;
}

/**
 * Imports a module file. A failure is a ModuleLoadError that names the file,
 * the line and column (and shows that line) for a syntax error or an
 * exception thrown while loading, in ES modules and CommonJS alike.
 */
export async function importModuleFile(file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const syntax = e instanceof SyntaxError;
    const loc = syntax ? (frameIn(file, e.stack ?? '') ?? syntaxErrorLocation(file)) : frameIn(file, e.stack ?? '');
    const esmAsCjs =
      /Unexpected token 'export'|Cannot use import statement outside a module/.test(e.message) &&
      extname(file) === '.js';
    const hint = esmAsCjs
      ? '; it uses ES module syntax, but Node reads this .js file as CommonJS: rename it .mjs, or put a package.json with "type": "module" beside it\n'
      : ': ';
    const where = loc ? `\n  at ${loc.file}:${loc.line}:${loc.column}${codeFrame(loc)}` : '';
    // Node's own frames (node:internal/...) say nothing about the module; the module's frames do.
    const frames = syntax
      ? ''
      : (e.stack ?? '')
          .split('\n')
          .filter((l) => /^\s+at /.test(l) && !/\(node:|at node:/.test(l))
          .join('\n');
    throw new ModuleLoadError(
      `module ${file} threw while loading${hint}${e.name}: ${e.message}${where}${frames && !where ? `\n${frames}` : ''}`,
      file,
      { cause: err, line: loc?.line, column: loc?.column },
    );
  }
}
