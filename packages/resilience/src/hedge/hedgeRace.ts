import { abortReason, CancelledError, whenAborted } from '@keel/core';
import type { Clock, PolicyContext, Timer } from '@keel/core';
import type { RetryBudget } from '../retry/retryBudget.js';
import type { Executor, PolicyOutcome } from '../internal/executor.js';

/** What a hedged attempt receives (mirrors the public `HedgeContext`). */
interface AttemptContext extends PolicyContext {
  readonly attempt: number;
}

/** The settings of the hedge policy running the race. */
export interface HedgeSettings {
  readonly delay: number;
  readonly maxHedges: number;
  readonly budget: RetryBudget | undefined;
  readonly clock: Clock;
  readonly onHedge: (attempt: number, trigger: 'delay' | 'failure' | 'immediate') => void;
  /** Runs and classifies each attempt (by `handle`); its signal's abort makes a failure `aborted`. */
  readonly executor: Executor<AttemptContext>;
  /** Called when a success settles a call for which hedges were launched. */
  readonly onWin: (attempt: number) => void;
}

/** Why the losing attempts are aborted when another attempt succeeded. */
const WON = (): CancelledError => new CancelledError('Another hedged attempt succeeded first.');
/** Why the other attempts are aborted when the call failed (an unhandled error, or every attempt). */
const ENDED = (): CancelledError =>
  new CancelledError('The hedged call has already failed; this attempt is no longer needed.');

/**
 * One hedged execution: launches attempts, settles once with the first success (or the last
 * failure), aborts every other attempt, and removes its timer and caller listener on settling.
 */
export class HedgeRace<TResult> {
  readonly #settings: HedgeSettings;
  readonly #fn: (context: AttemptContext) => PromiseLike<TResult> | TResult;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: (value: TResult) => void;
  readonly #reject: (error: unknown) => void;
  readonly #controllers: AbortController[] = [];
  readonly #onAbort = (): void => {
    const reason = abortReason(this.#signal!);
    this.#finish(() => this.#reject(reason), { reason: () => reason });
  };
  #unfollow: (() => void) | undefined;
  #failed = 0;
  #settled = false;
  #exhausted = false;
  #timer: Timer | undefined;

  constructor(
    settings: HedgeSettings,
    fn: (context: AttemptContext) => PromiseLike<TResult> | TResult,
    signal: AbortSignal | undefined,
    settle: { resolve: (value: TResult) => void; reject: (error: unknown) => void },
  ) {
    this.#settings = settings;
    this.#fn = fn;
    this.#signal = signal;
    this.#resolve = settle.resolve;
    this.#reject = settle.reject;
  }

  /** Starts the primary attempt. */
  start(): void {
    if (this.#signal !== undefined) this.#unfollow = whenAborted(this.#signal, this.#onAbort);
    this.#launch('immediate');
  }

  get #launched(): number {
    return this.#controllers.length;
  }

  /** Whether another attempt may start; takes one budget unit for a hedge. */
  #mayLaunch(): boolean {
    if (this.#settled || this.#exhausted || this.#launched > this.#settings.maxHedges) return false;
    const budget = this.#settings.budget;
    if (this.#launched > 0 && budget !== undefined && !budget.tryWithdraw()) {
      this.#exhausted = true;
      return false;
    }
    return true;
  }

  #launch(trigger: 'delay' | 'failure' | 'immediate'): void {
    if (!this.#mayLaunch()) return;
    const controller = new AbortController();
    this.#controllers.push(controller);
    const attempt = this.#launched;
    if (attempt > 1) this.#settings.onHedge(attempt, trigger);
    this.#timer?.cancel();
    this.#timer = undefined;
    const context = { attempt, signal: controller.signal };
    Promise.resolve()
      .then(() => this.#settings.executor.run(this.#fn, context, controller.signal))
      .then(
        (settled) => this.#onSettled(settled, attempt, controller),
        (error: unknown) => this.#onFailure(error, false),
      );
    if (this.#launched > this.#settings.maxHedges) return;
    const { delay } = this.#settings;
    if (delay === 0) this.#launch('immediate');
    // An infinite delay hedges only on failure.
    else if (delay !== Infinity)
      this.#timer = this.#settings.clock.setTimeout(() => this.#launch('delay'), delay);
  }

  #onSettled(settled: PolicyOutcome<TResult>, attempt: number, controller: AbortController): void {
    if (settled.outcome !== 'success') {
      this.#onFailure((settled as { error: unknown }).error, settled.outcome === 'failure');
      return;
    }
    if (!this.#settled && this.#launched > 1) this.#settings.onWin(attempt);
    this.#finish(() => this.#resolve(settled.result), { winner: controller, reason: WON });
  }

  /** An attempt failed; `handled`: by an error the `handle` predicate counts (try another). */
  #onFailure(error: unknown, handled: boolean): void {
    if (this.#settled) return;
    this.#failed++;
    if (!handled) return this.#finish(() => this.#reject(error), { reason: ENDED });
    this.#launch('failure');
    if (this.#failed === this.#launched && !this.#mayLaunch()) {
      this.#finish(() => this.#reject(error), { reason: ENDED });
    }
  }

  /**
   * Settles once: stops the hedge timer, leaves the caller's signal, and aborts every attempt
   * but the winner with `reason` (the caller's own reason when the caller aborted).
   */
  #finish(
    settle: () => void,
    end: { readonly reason: () => unknown; readonly winner?: AbortController },
  ): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#timer?.cancel();
    this.#unfollow?.();
    // The winner's signal stays live: its result (e.g. a streamed body) may still use it.
    const reason = end.reason();
    for (const controller of this.#controllers) if (controller !== end.winner) controller.abort(reason);
    settle();
  }
}
