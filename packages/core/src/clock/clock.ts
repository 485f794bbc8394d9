import { NEVER_ABORTED } from '../concurrency/signals.js';
import { abortReason, signalRefusal } from '../errors/abort.js';
import { whenAborted } from '../errors/whenAborted.js';

/** A scheduled callback; cancel it to stop it from running. */
export interface Timer {
  /** Stops the timer; safe to call more than once and after it ran. */
  cancel(): void;
}

/** Options for scheduling a timer. */
export interface TimerOptions {
  /**
   * With the system clock, whether the timer keeps the process alive.
   * @default true
   */
  keepAlive?: boolean;
}

/**
 * The source of time and timers for all Keel code. Library code never reads `Date.now()` or
 * calls `setTimeout` directly, so tests can swap in a {@link ManualClock}.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number, options?: TimerOptions): Timer;
  /**
   * Runs `callback` every `ms` milliseconds until cancelled, however long `ms` is (the system
   * clock chains intervals longer than its platform's timers allow).
   * @throws {RangeError} when `ms` is not a finite number > 0.
   */
  setInterval(callback: () => void, ms: number, options?: TimerOptions): Timer;
  /**
   * Resolves after `ms` milliseconds. Rejects with the signal's reason as soon as `signal`
   * aborts (at once if it already has), and leaves no timer or listener behind. Never throws: a
   * delay that is not a finite number >= 0 rejects with a `RangeError`, a `signal` that is not
   * an `AbortSignal` with a `ValidationError`, and neither schedules anything.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Implements {@link Clock.sleep} over a clock's own `setTimeout`, leaving no timer behind and
 * the signal no longer followed whichever way the wait ends. Sleeps sharing one signal share
 * one `abort` listener (see {@link whenAborted}).
 */
export function sleepWith(clock: Pick<Clock, 'setTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  // Checked before the timer is set: a bad or aborted signal leaves nothing scheduled.
  const refusal = signalRefusal(signal);
  if (refusal !== undefined) return Promise.reject(refusal);
  return new Promise<void>((resolve, reject) => {
    let elapsed = false;
    let unfollow = noop;
    const timer = clock.setTimeout(() => {
      elapsed = true;
      unfollow();
      resolve();
    }, ms);
    if (signal === undefined || signal === NEVER_ABORTED || elapsed) return;
    unfollow = whenAborted(signal, () => {
      timer.cancel();
      reject(abortReason(signal));
    });
  });
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`A timer delay must be a finite number of milliseconds >= 0; got ${ms}.`);
  }
  return ms;
}

/** The largest delay Node's timers accept; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

function systemTimeout(callback: () => void, ms: number, options?: TimerOptions): Timer {
  let handle: NodeJS.Timeout;
  let cancelled = false;
  const schedule = (remaining: number): void => {
    const step = Math.min(remaining, MAX_TIMER_MS);
    handle = globalThis.setTimeout(() => (remaining > step ? schedule(remaining - step) : callback()), step);
    if (options?.keepAlive === false) handle.unref?.();
  };
  schedule(checkDelay(ms));
  return {
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      globalThis.clearTimeout(handle);
    },
  };
}

/**
 * An interval longer than the platform's timers allow (Node would clamp it to 1 ms): a chain of
 * timeouts of `ms` each, the next set before the callback runs so the callback can cancel it.
 */
function longInterval(callback: () => void, ms: number, options?: TimerOptions): Timer {
  let cancelled = false;
  let current: Timer;
  const arm = (): void => {
    current = systemTimeout(
      () => {
        if (cancelled) return;
        arm();
        callback();
      },
      ms,
      options,
    );
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      current.cancel();
    },
  };
}

/** The real clock: `Date.now()` and the platform's timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: systemTimeout,
  setInterval(callback: () => void, ms: number, options?: TimerOptions): Timer {
    if (checkDelay(ms) === 0) throw new RangeError('An interval must be longer than 0 ms.');
    if (ms > MAX_TIMER_MS) return longInterval(callback, ms, options);
    const handle = globalThis.setInterval(callback, ms);
    if (options?.keepAlive === false) handle.unref?.();
    return { cancel: () => globalThis.clearInterval(handle) };
  },
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    // A bad delay makes setTimeout throw inside sleepWith's executor: a rejection, as documented.
    return sleepWith(systemClock, ms, signal);
  },
});

export { checkDelay as assertTimerDelay };

function noop(): void {}
