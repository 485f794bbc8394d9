import { CancelledError } from './errors.js';

/**
 * The reason an aborted signal carries, or a {@link CancelledError} when it carries none.
 * Keel rejects with this value whenever a wait is stopped by a signal.
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CancelledError();
}

/** Throws the signal's abort reason if it is already aborted; does nothing otherwise. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** A child abort controller tied to an optional parent signal; see {@link linkedAbortController}. */
export interface LinkedAbortController {
  /** The child signal: aborted by {@link abort} or when the parent aborts. */
  readonly signal: AbortSignal;
  /** Aborts the child only; the parent is untouched. */
  abort(reason?: unknown): void;
  /** Removes the listener on the parent. Call it in `finally` so nothing leaks. */
  dispose(): void;
}

/**
 * Creates a fresh abort controller that follows `parent`: when the parent aborts, the child
 * aborts with the same reason. `dispose()` removes the listener from the parent, so calling
 * this per operation on a long-lived signal leaks nothing.
 *
 * @example
 * ```ts
 * const child = linkedAbortController(callerSignal);
 * try { await work(child.signal); } finally { child.dispose(); }
 * ```
 */
export function linkedAbortController(parent?: AbortSignal): LinkedAbortController {
  const controller = new AbortController();
  if (parent === undefined) {
    return { signal: controller.signal, abort: (reason) => controller.abort(reason), dispose: () => {} };
  }
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, abort: () => {}, dispose: () => {} };
  }
  const follow = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => parent.removeEventListener('abort', follow),
  };
}

/**
 * Waits for `promise` unless `signal` aborts first, then rejects with the signal's reason (at
 * once if it already has). The work behind the promise keeps running: this stops only the wait.
 * The abort listener is removed whichever way the wait ends, so a long-lived signal leaks nothing.
 *
 * @example
 * ```ts
 * const reply = await raceAbort(client.get(key), signal);
 * ```
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
