import { abortReason, raceAbort, whenAborted } from '@keel/core';

const noop = (): void => {};

/**
 * One run of a message shared by every concurrent caller of it in this process. Each caller
 * waits with its own signal: a caller that aborts stops only its own wait. The run's signal
 * aborts only when every caller that can abort has left (and no caller without a signal
 * joined), so the handler keeps running for the callers still waiting.
 */
export class SharedAttempt {
  readonly #controller = new AbortController();
  #callers = 0;
  #pinned = false;
  #settled = false;
  #result: Promise<unknown> = Promise.resolve();
  /** Work still to do after the result settled (giving up or recording the claim). */
  #cleanup: Promise<void> = Promise.resolve();
  #finished: Promise<void> = Promise.resolve();

  /** Aborted when every caller left; the run and its handler stop then. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether a new caller may still share this run (not settled, not abandoned). */
  get joinable(): boolean {
    return !this.#settled && !this.#controller.signal.aborted;
  }

  /** Settles when the run is over and its claim was recorded or given up. Never rejects. */
  get finished(): Promise<void> {
    return this.#finished;
  }

  /** Starts the run; call once, before {@link SharedAttempt.join}. */
  start(run: (attempt: SharedAttempt) => Promise<unknown>): void {
    this.#result = run(this);
    this.#result.catch(noop);
    this.#finished = this.#result.then(noop, noop).then(() => {
      this.#settled = true;
      return this.#cleanup;
    });
    void this.#result.then(
      () => (this.#settled = true),
      () => (this.#settled = true),
    );
  }

  /** Registers work that must end before the run counts as finished (called before the result settles). */
  afterwards(cleanup: Promise<void>): void {
    this.#cleanup = cleanup.catch(noop);
  }

  /** Waits for the run's result with the caller's own `signal`. */
  join(signal: AbortSignal | undefined): Promise<unknown> {
    if (signal === undefined) {
      this.#pinned = true;
      return this.#result;
    }
    if (signal.aborted) return Promise.reject(abortReason(signal));
    this.#callers++;
    const leave = (): void => {
      this.#callers--;
      if (this.#callers === 0 && !this.#pinned && !this.#settled) this.#controller.abort(abortReason(signal));
    };
    const stopFollowing = whenAborted(signal, leave);
    const waiting = raceAbort(this.#result, signal);
    void waiting.then(stopFollowing, stopFollowing);
    return waiting;
  }
}
