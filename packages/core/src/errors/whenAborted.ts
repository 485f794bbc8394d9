import { ValidationError } from './errors.js';
import { describeValue } from '../options/options.js';

/** One follower of a signal: a node of its followers' list. */
interface Follower {
  readonly callback: () => void;
  prev: Follower | undefined;
  next: Follower | undefined;
  /** Cleared once the follower has left or been called. */
  live: boolean;
}

/** The followers of one signal and the single `abort` listener they share. */
interface Followers {
  first: Follower | undefined;
  last: Follower | undefined;
  readonly fire: () => void;
}

/**
 * One real `abort` listener per signal, shared by every follower of that signal. The entry
 * outlives its last follower (keyed weakly, it goes with the signal), so a signal followed by
 * one call after another pays for the listener only, not for a new entry each time.
 */
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
 * @throws {ValidationError} when `signal` is not an `AbortSignal`.
 *
 * @example
 * ```ts
 * const stop = whenAborted(signal, () => socket.destroy());
 * try { await exchange(socket); } finally { stop(); }
 * ```
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  if ((signal as AbortSignal | null)?.aborted === true) {
    callback();
    return noop;
  }
  if (!isAbortSignal(signal)) throw notASignal(signal);
  let followers = followersOf.get(signal);
  if (followers === undefined) {
    followers = followersFor(signal);
    followersOf.set(signal, followers);
  }
  const list = followers;
  const follower: Follower = { callback, prev: list.last, next: undefined, live: true };
  if (list.last === undefined) {
    list.first = follower;
    signal.addEventListener('abort', list.fire, { once: true });
  } else list.last.next = follower;
  list.last = follower;
  return () => {
    if (!follower.live) return;
    unlink(list, follower);
    if (list.first === undefined) signal.removeEventListener('abort', list.fire);
  };
}

function followersFor(signal: AbortSignal): Followers {
  const list: Followers = {
    first: undefined,
    last: undefined,
    fire: () => {
      followersOf.delete(signal);
      // Each follower is unlinked before it runs, so one that leaves meanwhile is skipped.
      for (let follower = list.first; follower !== undefined; follower = list.first) {
        unlink(list, follower);
        try {
          follower.callback();
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
  };
  return list;
}

function unlink(list: Followers, follower: Follower): void {
  follower.live = false;
  if (follower.prev === undefined) list.first = follower.next;
  else follower.prev.next = follower.next;
  if (follower.next === undefined) list.last = follower.prev;
  else follower.next.prev = follower.prev;
}

function noop(): void {}

/**
 * Whether `value` is an `AbortSignal`: recognised by `aborted` and `addEventListener`, so that
 * signals of another realm (a VM context, a test environment) pass too. Internal to core.
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { aborted?: unknown }).aborted === 'boolean' &&
    typeof (value as { addEventListener?: unknown }).addEventListener === 'function'
  );
}

/** The error for a `signal` option that is not an `AbortSignal`. Internal to core. */
export function notASignal(value: unknown): ValidationError {
  return new ValidationError(
    [{ path: ['signal'], message: `must be an AbortSignal (got ${describeValue(value)}).` }],
    {
      subject: 'options',
    },
  );
}
