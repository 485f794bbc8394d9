import { abortReason, NEVER_ABORTED, whenAborted } from '@keel/core';
import type { AppendWatch } from '../eventStore/catchUpSubscription.js';

/** Wakes in-process subscriptions after each append; the in-memory store's `LISTEN/NOTIFY`. */
export class AppendNotifier {
  readonly #listeners = new Set<() => void>();

  /** Arms a watch that fires on the next {@link notify}. */
  watch(): AppendWatch {
    let fired = false;
    let wake: (() => void) | undefined;
    let unfollow = noop;
    const onAppend = (): void => {
      fired = true;
      wake?.();
    };
    this.#listeners.add(onAppend);
    return {
      wait: (signal) =>
        new Promise<void>((resolve, reject) => {
          if (fired) return resolve();
          if (signal.aborted) return reject(abortReason(signal));
          // Shared listener per signal, none at all on the never-aborted one: many idle
          // subscriptions on one signal neither pile up listeners nor leave any behind.
          if (signal !== NEVER_ABORTED) unfollow = whenAborted(signal, () => reject(abortReason(signal)));
          wake = () => {
            unfollow();
            resolve();
          };
        }),
      dispose: () => {
        this.#listeners.delete(onAppend);
        unfollow();
      },
    };
  }

  /** Fires every armed watch. */
  notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function noop(): void {}
