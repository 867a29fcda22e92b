/**
 * Settles like `promise`, or rejects with `onTimeout()` after `ms`. The
 * work itself goes on (JavaScript cannot stop it); only the wait ends.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * Calls `attempt` until it returns true, waiting `intervalMs` between
 * attempts; rejects with `onTimeout()` once `timeoutMs` has passed, or with
 * whatever `attempt` throws (a failure that waiting will not mend). The one
 * retry loop of the code base: waits for agents, conditions and ports all
 * use it. `attempt` gets the milliseconds left, to bound its own wait.
 */
export async function retryUntil(
  timeoutMs: number,
  intervalMs: number,
  attempt: (remainingMs: number) => boolean | Promise<boolean>,
  onTimeout: () => Error,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt(Math.max(1, deadline - Date.now()))) return;
    const left = deadline - Date.now();
    if (left <= 0) throw onTimeout();
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
}
