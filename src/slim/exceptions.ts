/** How SLIM reports failures: `__EXCEPTION__:` and a `message:<<CODE details>>` FitNesse shows in the cell. */
export const EXCEPTION = '__EXCEPTION__:';

export type SlimCode = 'NO_CLASS' | 'NO_INSTANCE' | 'NO_CONSTRUCTOR' | 'COULD_NOT_INVOKE_CONSTRUCTOR' | 'NO_METHOD_IN_CLASS' | 'MALFORMED_INSTRUCTION' | 'TIMED_OUT';

/** A failure the server itself reports, with one of FitNesse's codes. */
export class SlimFailure extends Error {
  override name = 'SlimFailure';
  readonly code: SlimCode;
  readonly detail: string;
  constructor(code: SlimCode, detail: string, options?: { cause?: unknown }) {
    super(`${code} ${detail}`, options);
    this.code = code;
    this.detail = detail;
  }
}

const STOPS: [RegExp, string][] = [
  [/StopTest/, 'ABORT_SLIM_TEST'],
  [/StopSuite/, 'ABORT_SLIM_SUITE'],
  [/IgnoreScriptTest/, 'IGNORE_SCRIPT_TEST'],
  [/IgnoreAllTests/, 'IGNORE_ALL_TESTS'],
];

function classNameOf(err: unknown): string {
  if (err instanceof Error) return err.constructor?.name && err.constructor.name !== 'Error' ? err.constructor.name : err.name;
  return typeof err;
}

/** The stop or ignore tag an exception's class name asks for, if any. */
export function stopTagOf(err: unknown): string | undefined {
  const name = classNameOf(err);
  const extra = err instanceof Error ? err.name : '';
  return STOPS.find(([re]) => re.test(name) || re.test(extra))?.[1];
}

// `>>` would end FitNesse's message early.
const clean = (text: string): string => text.replace(/>>/g, '> >');

/** The result string for an exception a fixture threw (or a SlimFailure). */
export function exceptionResult(err: unknown): string {
  if (err instanceof SlimFailure) return `${EXCEPTION}message:<<${clean(err.message)}>>`;
  const name = classNameOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const stack = err instanceof Error && err.stack ? `\n${err.stack}` : '';
  const tag = stopTagOf(err);
  // A fixture may shape the cell text itself by throwing "message:<<...>>".
  const body = message.includes('message:<<') ? `${name}: ${message}` : `message:<<${clean(`${name}: ${message}`)}>>`;
  return `${EXCEPTION}${tag ? `${tag}:` : ''}${body}${stack}`;
}
