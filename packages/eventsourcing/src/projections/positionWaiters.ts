import { abortReason, whenAborted } from '@keel/core';

interface Waiter {
  readonly target: number;
  readonly resolve: (position: number) => void;
  readonly reject: (error: unknown) => void;
}

/** Tracks a position that only grows and resolves waits for it to reach a target. */
export class PositionWaiters {
  #position = 0;
  readonly #waiters = new Set<Waiter>();

  /** The current position. */
  get position(): number {
    return this.#position;
  }

  /** Sets the position (e.g. after loading a checkpoint or a reset). */
  reset(position: number): void {
    this.#position = position;
    this.advance(position);
  }

  /** Moves the position forward (never back) and resolves every wait it satisfies. */
  advance(position: number): void {
    if (position > this.#position) this.#position = position;
    for (const waiter of [...this.#waiters]) {
      if (waiter.target <= this.#position) waiter.resolve(this.#position);
    }
  }

  /** Resolves once the position reaches `target`; rejects with the abort reason or a `rejectAll` error. */
  wait(target: number, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<number>((resolve, reject) => {
      let unfollow: (() => void) | undefined;
      const settle = (finish: () => void): void => {
        this.#waiters.delete(waiter);
        unfollow?.();
        finish();
      };
      const waiter: Waiter = {
        target,
        resolve: (position) => settle(() => resolve(position)),
        reject: (error) => settle(() => reject(error)),
      };
      this.#waiters.add(waiter);
      // Waiters sharing one signal share one listener on it.
      if (signal !== undefined)
        unfollow = whenAborted(signal, () => settle(() => reject(abortReason(signal))));
    });
  }

  /** Rejects every pending wait with `error`. */
  rejectAll(error: unknown): void {
    for (const waiter of [...this.#waiters]) waiter.reject(error);
  }
}
