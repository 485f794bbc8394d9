interface Followers {
  readonly callbacks: Set<() => void>;
  readonly fire: () => void;
}

/** One real `abort` listener per signal, shared by every follower of that signal. */
const followersOf = new WeakMap<AbortSignal, Followers>();

/**
 * Calls `callback` once when `signal` aborts (at once if it already has), and returns a function
 * that stops following. However many followers a signal has at a time, it carries one `abort`
 * listener, removed when the last follower leaves: a caller's signal shared by hundreds of
 * concurrent waits never triggers Node's `MaxListenersExceededWarning` and leaks nothing.
 *
 * Followers run in the order they started following. One that throws does not stop the others:
 * its error is rethrown on a later microtask, as an `abort` listener's would be reported.
 *
 * @param signal - The signal to follow.
 * @param callback - Called at most once, with no arguments; read `signal.reason` for the reason.
 * @returns A disposer; call it in `finally`. Calling it twice, or after the abort, is harmless.
 *
 * @example
 * ```ts
 * const stop = whenAborted(signal, () => socket.destroy());
 * try { await exchange(socket); } finally { stop(); }
 * ```
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return noop;
  }
  let followers = followersOf.get(signal);
  if (followers === undefined) {
    followers = follow(signal);
    followersOf.set(signal, followers);
    signal.addEventListener('abort', followers.fire, { once: true });
  }
  // A fresh function per follower, so one callback may follow twice and leave once each time.
  const follower = (): void => callback();
  const { callbacks, fire } = followers;
  callbacks.add(follower);
  return () => {
    if (!callbacks.delete(follower) || callbacks.size > 0) return;
    if (followersOf.get(signal) === followers) followersOf.delete(signal);
    signal.removeEventListener('abort', fire);
  };
}

function follow(signal: AbortSignal): Followers {
  const callbacks = new Set<() => void>();
  const fire = (): void => {
    followersOf.delete(signal);
    // Iterates the live set: a follower that leaves while others run is not called.
    for (const follower of callbacks) {
      callbacks.delete(follower);
      try {
        follower();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };
  return { callbacks, fire };
}

function noop(): void {}
