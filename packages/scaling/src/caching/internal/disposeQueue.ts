import type { DisposeListener, DisposeReason } from '../cache.js';

/**
 * Defers dispose callbacks until a cache operation has finished, so a callback that reads or
 * writes the cache sees a consistent cache and cannot break its bounds mid-update.
 */
export class DisposeQueue<TKey, TValue> {
  readonly #listener: DisposeListener<TKey, TValue>;
  readonly #queue: unknown[] = [];
  #draining = false;

  constructor(listener: DisposeListener<TKey, TValue>) {
    this.#listener = listener;
  }

  push(value: TValue, key: TKey, reason: DisposeReason): void {
    this.#queue.push(value, key, reason);
  }

  /** Runs every queued callback in order; the first error thrown is rethrown after all ran. */
  drain(): void {
    if (this.#draining || this.#queue.length === 0) return;
    this.#draining = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let at = 0; at < this.#queue.length; at += 3) {
        try {
          const queue = this.#queue;
          this.#listener(queue[at] as TValue, queue[at + 1] as TKey, queue[at + 2] as DisposeReason);
        } catch (error) {
          failure ??= { error };
        }
      }
    } finally {
      this.#queue.length = 0;
      this.#draining = false;
    }
    if (failure) throw failure.error;
  }
}
