import { setFlagsFromString } from 'node:v8';
import { createContext, Script } from 'node:vm';
import type { WirePattern } from './types.js';

/** The most one line may cost a pattern that the linear-time engine cannot run (back-references, look-arounds). */
export const PATTERN_BUDGET_MS = 100;

let linearEngine = false;
const onLine = new Script('re.test(s)');

/**
 * A caller's pattern, tested so that no pattern and no line can freeze the
 * agent: run by V8's linear-time engine (RE2's semantics: no catastrophic
 * backtracking) wherever it can be, else with a time budget per line, past
 * which the test fails with a message that says why.
 */
export function boundedRegex(p: WirePattern): { test(line: string): boolean } {
  const flags = p.flags.replace('g', '');
  if (!linearEngine) {
    setFlagsFromString('--enable-experimental-regexp-engine');
    linearEngine = true;
  }
  try {
    const linear = new RegExp(p.source, `${flags}l`);
    return { test: (line) => linear.test(line) };
  } catch {
    // Back-references and look-arounds need the backtracking engine: bound it in time instead.
  }
  const context = createContext({ re: new RegExp(p.source, flags), s: '' });
  return {
    test(line: string): boolean {
      context.s = line;
      try {
        return onLine.runInContext(context, { timeout: PATTERN_BUDGET_MS }) as boolean;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
        throw new TypeError(
          `the pattern /${p.source}/${p.flags} took more than ${PATTERN_BUDGET_MS} ms on one line of ${line.length} characters (it backtracks without bound); write it without nested repetition or back-references`,
          { cause: err },
        );
      }
    },
  };
}
