import { abortReason } from '@keel/core';
import type { AppendWatch } from '../eventStore/catchUpSubscription.js';

/** Wakes in-process subscriptions after each append; the in-memory store's `LISTEN/NOTIFY`. */
export class AppendNotifier {
  readonly #listeners = new Set<() => void>();

  /** Arms a watch that fires on the next {@link notify}. */
  watch(): AppendWatch {
    let fired = false;
    let wake: (() => void) | undefined;
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
          const onAbort = (): void => reject(abortReason(signal));
          wake = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      dispose: () => this.#listeners.delete(onAppend),
    };
  }

  /** Fires every armed watch. */
  notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
