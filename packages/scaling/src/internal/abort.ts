import { abortReason } from '@keel/core';

interface Followers {
  readonly callbacks: Set<() => void>;
  readonly fire: () => void;
}

/** One real `abort` listener per signal, shared by every follower of that signal. */
const followersOf = new WeakMap<AbortSignal, Followers>();

/**
 * Calls `callback` once when `signal` aborts (at once if it already has), and returns a
 * disposer that stops following. However many calls follow one signal at a time, the signal
 * carries a single `abort` listener: core's `linkedAbortController` and `raceAbort` add one
 * listener per call, so 11 concurrent calls sharing a caller's signal would trigger Node's
 * `MaxListenersExceededWarning`. The listener is removed when the last follower leaves.
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return () => {};
  }
  let followers = followersOf.get(signal);
  if (followers === undefined) {
    const callbacks = new Set<() => void>();
    const fire = (): void => {
      followersOf.delete(signal);
      for (const follower of [...callbacks]) follower();
      callbacks.clear();
    };
    followers = { callbacks, fire };
    followersOf.set(signal, followers);
    signal.addEventListener('abort', fire, { once: true });
  }
  // A fresh function per follower, so the same callback can follow twice and leave once each.
  const follower = (): void => callback();
  const { callbacks, fire } = followers;
  callbacks.add(follower);
  return () => {
    if (!callbacks.delete(follower) || callbacks.size > 0) return;
    if (followersOf.get(signal)?.callbacks === callbacks) followersOf.delete(signal);
    signal.removeEventListener('abort', fire);
  };
}

/** A signal of one call, following an optional parent; see {@link callSignal}. */
export interface CallSignal {
  /** Aborted when the parent aborts (with its reason) or by {@link CallSignal.abort}. */
  readonly signal: AbortSignal;
  /** Aborts this call's signal only. */
  abort(reason?: unknown): void;
  /** Stops following the parent. Call it in `finally`. */
  dispose(): void;
}

/**
 * A fresh signal for one call that follows `parent`, so whatever a callback hangs on its
 * signal (a `fetch`, a `clock.sleep`) lands on a signal of its own and never piles up on a
 * signal shared by many calls (the caller's, or a shared never-aborted one).
 */
export function callSignal(parent: AbortSignal | undefined): CallSignal {
  const controller = new AbortController();
  const abort = (reason?: unknown): void => controller.abort(reason);
  if (parent === undefined) return { signal: controller.signal, abort, dispose: () => {} };
  const dispose = whenAborted(parent, () => controller.abort(abortReason(parent)));
  return { signal: controller.signal, abort, dispose };
}

/**
 * Waits for `promise` unless `signal` aborts first, then rejects with the signal's reason: core's
 * `raceAbort`, over {@link whenAborted} so concurrent waits on one signal share one listener.
 */
export function raceAbortShared<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
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
