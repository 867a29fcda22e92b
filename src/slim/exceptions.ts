import { fileURLToPath } from 'node:url';
import { named, RocError } from '../wire/errors.js';

/**
 * How SLIM reports failures. Every failed instruction answers
 * `__EXCEPTION__:` and then one of two things, as FitNesse's Java
 * SlimService does:
 * - an exception a fixture threw: its class, message and stack. FitNesse
 *   shows the whole text under the row (both the 20150814 release and
 *   current ones), unless the message holds `message:<<...>>`, whose text
 *   goes in the cell;
 * - a failure of the server itself (no such class, method or instance, a
 *   malformed instruction, a timeout): `message:<<...>>`, which FitNesse puts
 *   in the cell.
 * FitNesse 20150814 keeps only the first word after a code (`NO_CLASS web1.Nope`
 * shows as "Could not find class web1.Nope" and nothing more), so the
 * failures that have more to say (which classes a guest serves, which methods
 * an object has) say it in a sentence both releases show as written, with the
 * code at its end, where FitNesse still finds it (it looks for the code
 * anywhere in the message: NO_METHOD_IN_CLASS for a table's optional methods).
 */
export const EXCEPTION = '__EXCEPTION__:';

export type SlimCode =
  | 'NO_CLASS'
  | 'NO_INSTANCE'
  | 'NO_CONSTRUCTOR'
  | 'COULD_NOT_INVOKE_CONSTRUCTOR'
  | 'NO_METHOD_IN_CLASS'
  | 'MALFORMED_INSTRUCTION'
  | 'TIMED_OUT';

/** A failure the server itself reports, with one of FitNesse's codes; `message` is the cell's text. */
export class SlimFailure extends RocError {
  static {
    named(this, 'SlimFailure');
  }
  readonly code: SlimCode;
  constructor(code: SlimCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Java's form, for the failures with nothing more to say. */
const coded = (code: SlimCode, rest: string): string => `${code} ${rest}`;

export const noClass = (className: string, detail: string, options?: { cause?: unknown }): SlimFailure =>
  new SlimFailure('NO_CLASS', `Could not find class ${className}: ${detail} (NO_CLASS)`, options);
export const noMethod = (
  method: string,
  argc: number,
  className: string,
  detail: string,
  options?: { cause?: unknown },
): SlimFailure =>
  new SlimFailure(
    'NO_METHOD_IN_CLASS',
    `Method ${method}[${argc}] not found in ${className}: ${detail} (NO_METHOD_IN_CLASS)`,
    options,
  );
export const noInstance = (what: string): SlimFailure =>
  new SlimFailure('NO_INSTANCE', coded('NO_INSTANCE', `${what}.`));
export const couldNotInvokeConstructor = (className: string, argc: number, err: unknown): SlimFailure =>
  new SlimFailure(
    'COULD_NOT_INVOKE_CONSTRUCTOR',
    `Could not invoke constructor for ${className}[${argc}]: ${describe(err)} (COULD_NOT_INVOKE_CONSTRUCTOR)`,
    { cause: err },
  );
export const malformed = (what: string): SlimFailure =>
  new SlimFailure('MALFORMED_INSTRUCTION', coded('MALFORMED_INSTRUCTION', what));
export const timedOut = (seconds: number): SlimFailure =>
  new SlimFailure('TIMED_OUT', coded('TIMED_OUT', String(seconds)));

/** A fixture called process.exit during an instruction; the server stays up, as Java's SlimService does. */
export class SystemExitPrevented extends RocError {
  static {
    named(this, 'SystemExitPrevented');
  }
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`prevented system exit with exit code ${exitCode}`);
    this.exitCode = exitCode;
  }
}

const STOPS: [RegExp, string][] = [
  [/StopTest/, 'ABORT_SLIM_TEST'],
  [/StopSuite/, 'ABORT_SLIM_SUITE'],
  [/IgnoreScriptTest/, 'IGNORE_SCRIPT_TEST'],
  [/IgnoreAllTests/, 'IGNORE_ALL_TESTS'],
];

function classNameOf(err: unknown): string {
  if (err instanceof Error)
    return err.constructor?.name && err.constructor.name !== 'Error' ? err.constructor.name : err.name;
  return typeof err;
}

/** `TypeError: bad thing`. */
export function describe(err: unknown): string {
  return err instanceof Error ? `${classNameOf(err)}: ${err.message}` : String(err);
}

/** The stop or ignore tag an exception's class name asks for, if any. */
export function stopTagOf(err: unknown): string | undefined {
  if (err instanceof SlimFailure) return undefined;
  const name = classNameOf(err);
  const extra = err instanceof Error ? err.name : '';
  return STOPS.find(([re]) => re.test(name) || re.test(extra))?.[1];
}

// `>>` inside would end FitNesse's message early.
const clean = (text: string): string => text.replace(/>>/g, '> >');

// This folder: frames from here on are the SLIM server's own, the same for every exception.
const SERVER_FRAMES = fileURLToPath(new URL('.', import.meta.url));

/** The fixture's part of the stack: below the first line (which repeats the message), up to the server's own frames. */
function stackOf(err: unknown): string {
  if (!(err instanceof Error) || !err.stack) return '';
  const lines = err.stack.split('\n');
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  if (first < 0) return '';
  const isServer = (l: string): boolean => l.includes(SERVER_FRAMES) || l.includes('roc-slim-bounded-call');
  // An error the server raises for the fixture (a prevented process.exit) starts in the server's own frames.
  const frames = lines.slice(first);
  const from = frames.findIndex((l) => !isServer(l));
  const own = from < 0 ? [] : frames.slice(from);
  const to = own.findIndex(isServer);
  const kept = to < 0 ? own : own.slice(0, to);
  return kept.length ? `\n${kept.join('\n')}` : '';
}

/** The result string for an exception a fixture threw, or for a SlimFailure. */
export function exceptionResult(err: unknown): string {
  if (err instanceof SlimFailure) return `${EXCEPTION}message:<<${clean(err.message)}>>`;
  const tag = stopTagOf(err);
  return `${EXCEPTION}${tag ? `${tag}:` : ''}${describe(err)}${stackOf(err)}`;
}
