import { NEVER_ABORTED } from '../concurrency/signals.js';
import { CancelledError } from './errors.js';
import { isAbortSignal, notASignal, whenAborted } from './whenAborted.js';

/**
 * The reason an aborted signal carries, or a {@link CancelledError} when it carries none.
 * Keel rejects with this value whenever a wait is stopped by a signal.
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CancelledError();
}

/**
 * Throws the signal's abort reason if it is already aborted; does nothing otherwise (nor without
 * a signal). Every Keel API that takes a signal calls it first, so it also refuses what is not a
 * signal before anything starts.
 *
 * @throws The signal's abort reason when it is aborted.
 * @throws {ValidationError} when `signal` is neither `undefined` nor an `AbortSignal`.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  const aborted = (signal as { aborted?: unknown } | null)?.aborted;
  if (aborted === true) throw abortReason(signal);
  if (aborted !== false) throw notASignal(signal);
}

/**
 * Why a wait that will follow `signal` must not start: its abort reason when it has aborted, a
 * `ValidationError` when it is not a signal that can be followed, else `undefined`. Callers
 * return it as a rejection before they schedule anything, so a bad signal never throws
 * synchronously nor leaves a timer or a queue entry behind. Internal to core.
 */
export function signalRefusal(signal: AbortSignal | undefined): unknown {
  if (signal === undefined || signal === NEVER_ABORTED) return undefined;
  if ((signal as AbortSignal | null)?.aborted === true) return abortReason(signal);
  return isAbortSignal(signal) ? undefined : notASignal(signal);
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
 * aborts with the same reason. `dispose()` stops following, so calling this per operation on a
 * long-lived signal leaks nothing; however many children follow one parent at a time, the parent
 * carries a single `abort` listener (see {@link whenAborted}).
 *
 * @example
 * ```ts
 * const child = linkedAbortController(callerSignal);
 * try { await work(child.signal); } finally { child.dispose(); }
 * ```
 * @throws {ValidationError} when `parent` is neither `undefined` nor an `AbortSignal`.
 */
export function linkedAbortController(parent?: AbortSignal): LinkedAbortController {
  const controller = new AbortController();
  const abort = (reason?: unknown): void => controller.abort(reason);
  if (parent === undefined || parent === NEVER_ABORTED)
    return { signal: controller.signal, abort, dispose: noop };
  if ((parent as AbortSignal | null)?.aborted === true) {
    controller.abort(parent.reason);
    return { signal: controller.signal, abort: noop, dispose: noop };
  }
  const dispose = whenAborted(parent, () => controller.abort(parent.reason));
  return { signal: controller.signal, abort, dispose };
}

/**
 * Waits for `promise` unless `signal` aborts first, then rejects with the signal's reason (at
 * once if it already has). The work behind the promise keeps running: this stops only the wait.
 * The wait stops following the signal whichever way it ends, and concurrent waits on one signal
 * share a single `abort` listener (see {@link whenAborted}), so a long-lived signal leaks nothing.
 * Without a signal, or with {@link NEVER_ABORTED}, it returns `promise` itself.
 *
 * @example
 * ```ts
 * const reply = await raceAbort(client.get(key), signal);
 * ```
 * A `signal` that is not an `AbortSignal` rejects with a `ValidationError`.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined || signal === NEVER_ABORTED) return promise;
  if ((signal as AbortSignal | null)?.aborted === true) return Promise.reject(abortReason(signal));
  if (!isAbortSignal(signal)) return Promise.reject(notASignal(signal));
  return new Promise<T>((resolve, reject) => {
    const stop = whenAborted(signal, () => reject(abortReason(signal)));
    promise.then(
      (value) => {
        stop();
        resolve(value);
      },
      (error: unknown) => {
        stop();
        reject(error);
      },
    );
  });
}

function noop(): void {}
