/** Whatever frees what an object holds: Symbol.asyncDispose, else Symbol.dispose, else a close() method. */
export function disposerOf(object: object): (() => unknown) | undefined {
  const o = object as Record<PropertyKey, unknown>;
  for (const key of [Symbol.asyncDispose, Symbol.dispose, 'close'] as const) {
    const fn = o[key];
    if (typeof fn === 'function') return () => (fn as () => unknown).call(object);
  }
  return undefined;
}

/**
 * Runs a disposer and waits for it up to a deadline. Never rejects: a
 * disposer that throws or hangs is logged (naming the object and what to
 * do), and the agent goes on; the object is forgotten either way.
 */
export async function disposeWithin(
  what: string,
  dispose: () => unknown,
  deadlineMs: number,
  log: ((line: string) => void) | undefined,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deadlineMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(dispose), late]);
    if (outcome === 'late')
      log?.(
        `disposing ${what} did not finish within ${deadlineMs} ms; the agent forgot it anyway (what it holds may still be open): make its dispose or close() end sooner`,
      );
  } catch (err) {
    log?.(`disposing ${what} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
