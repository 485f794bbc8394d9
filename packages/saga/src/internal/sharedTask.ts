import { abortReason, linkedAbortController, whenAborted } from '@keel/core';
import type { LinkedAbortController } from '@keel/core';

/**
 * One piece of work that several callers wait for, each with its own signal. A caller's abort
 * ends only that caller's wait; the work itself is aborted when the last waiter leaves (or the
 * parent signal, e.g. the orchestrator's close, aborts). The last waiter to leave then waits for
 * the work to stop and gets its result if the work finished anyway, so a caller never gets its
 * abort reason for work that already succeeded.
 */
export class SharedTask<TResult> {
  readonly #control: LinkedAbortController;
  readonly #promise: Promise<TResult>;
  /** Settles (never rejects) when the work has stopped. */
  readonly settled: Promise<void>;
  #waiters = 0;
  #value: { readonly value: TResult } | undefined;
  #done = false;

  /**
   * @param work Started at once with a signal that aborts when every waiter left or `parent` aborted.
   * @param parent Aborts the work whoever waits (the owner's shutdown).
   */
  constructor(work: (signal: AbortSignal) => Promise<TResult>, parent?: AbortSignal) {
    this.#control = linkedAbortController(parent);
    this.#promise = this.#run(work);
    this.settled = this.#promise.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Whether the work was told to stop and has not finished yet: do not join it. */
  get stopping(): boolean {
    return this.#control.signal.aborted && !this.#done;
  }

  /**
   * Waits for the work's result. Without a signal the caller stays until the end; with one, its
   * abort (already there or later) ends its wait with the abort reason, or with the result when
   * the work already has one. The last waiter to leave stops the work and waits for it to stop.
   */
  join(signal?: AbortSignal): Promise<TResult> {
    if (this.#done) return this.#promise;
    this.#waiters++;
    if (signal === undefined) return this.#promise;
    return new Promise<TResult>((resolve, reject) => {
      let left = false;
      const leave = (): void => {
        if (this.#value !== undefined) return resolve(this.#value.value);
        left = true;
        this.#waiters--;
        if (this.#waiters > 0 || this.#done) return reject(abortReason(signal));
        this.#control.abort(abortReason(signal));
        this.#promise.then(resolve, () => reject(abortReason(signal)));
      };
      const stopFollowing = whenAborted(signal, leave);
      this.#promise.then(
        (value) => {
          stopFollowing();
          if (!left) resolve(value);
        },
        (error: unknown) => {
          stopFollowing();
          if (!left) reject(error);
        },
      );
    });
  }

  async #run(work: (signal: AbortSignal) => Promise<TResult>): Promise<TResult> {
    try {
      const value = await work(this.#control.signal);
      // Set in the same job that resolves the promise, so an abort arriving later sees it.
      this.#value = { value };
      return value;
    } finally {
      this.#done = true;
      this.#control.dispose();
    }
  }
}
