import { abortReason, whenAborted } from '@keel/core';

/** Counts slots for at most `limit` concurrent holders; waiters are served first come, first served. */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** How many slots are held now. */
  get active(): number {
    return this.#active;
  }

  /** Takes a slot if one is free now; `false` (and nothing taken) when all are held. */
  tryAcquire(): boolean {
    if (this.#active >= this.#limit) return false;
    this.#active++;
    return true;
  }

  /** Takes a slot, waiting for one if all are held; rejects with the abort reason if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#active < this.#limit) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const stopFollowing =
        signal === undefined
          ? undefined
          : whenAborted(signal, () => {
              const index = this.#waiters.indexOf(grant);
              if (index >= 0) this.#waiters.splice(index, 1);
              reject(abortReason(signal));
            });
      const grant = (): void => {
        stopFollowing?.();
        resolve();
      };
      this.#waiters.push(grant);
    });
  }

  /** Returns a slot, handing it straight to the oldest waiter if there is one. */
  release(): void {
    if (this.#waiters.length === 0) {
      this.#active--;
      return;
    }
    this.#waiters.shift()!();
  }
}
