import {
  abortReason,
  assertOptions,
  noopLogger,
  optionClock,
  optionFunction,
  optionInteger,
  optionLogger,
  optionNumber,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, Logger, Policy, PolicyContext } from '@keel/core';
import { HedgeRace } from './hedgeRace.js';
import type { HedgeSettings } from './hedgeRace.js';
import { policyEmitter } from '../internal/events.js';
import { Executor } from '../internal/executor.js';
import type { PolicyOutcome } from '../internal/executor.js';
import { optionBudget } from '../internal/optionKinds.js';
import type { RetryBudget } from '../retry/retryBudget.js';

/** What each hedged attempt receives. */
export interface HedgeContext extends PolicyContext {
  /** 1 for the primary attempt, 2 for the first hedge, and so on. */
  readonly attempt: number;
}

/** Options of {@link hedge}. */
export interface HedgeOptions {
  /**
   * Ms to wait for an attempt before launching the next; 0 launches every attempt at once,
   * `Infinity` launches the next only when an attempt fails with a handled error.
   * @default 2_000
   */
  delay?: number | undefined;
  /** Extra attempts beyond the primary (1 to 100). @default 1 */
  maxHedges?: number | undefined;
  /** Which errors mean "try another attempt now"; any other error ends the call at once. @default every error */
  handle?: ((error: unknown) => boolean) | undefined;
  /** Caps the extra load: each hedge takes one unit from this budget, and none launches when it is spent. @default unlimited */
  budget?: RetryBudget | undefined;
  /** Where timers come from. @default systemClock */
  clock?: Clock | undefined;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger | undefined;
  /** Names the policy in telemetry (`keel.policy.name`) and outcome events. @default 'hedge' */
  name?: string | undefined;
}

/** Payload of {@link HedgePolicy.onHedge}. */
export interface HedgeEvent {
  /** The attempt being launched (2 for the first hedge). */
  readonly attempt: number;
  /** Why: the delay ran out, an earlier attempt failed, or every attempt starts at once. */
  readonly trigger: 'delay' | 'failure' | 'immediate';
}

/** The defaults of {@link HedgeOptions}. */
const HEDGE_DEFAULTS = Object.freeze({
  delay: 2_000,
  maxHedges: 1,
  handle: ((): boolean => true) as (error: unknown) => boolean,
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
  name: 'hedge',
});

/**
 * Launches extra attempts of a slow call (after `delay`, or all at once) and takes the first
 * success; every other attempt is aborted. Cuts tail latency for idempotent reads at the cost
 * of extra load, which `maxHedges` and a `budget` cap.
 */
export class HedgePolicy implements Policy<HedgeContext> {
  readonly #settings: HedgeSettings;
  readonly #events;
  readonly #executor: Executor<HedgeContext>;

  /** Prefer {@link hedge}. @throws ValidationError on bad options. */
  constructor(options?: HedgeOptions) {
    const settings = withDefaults(HEDGE_DEFAULTS, options);
    assertOptions('hedge', {
      delay: optionNumber(settings.delay, { min: 0, infinity: true }),
      maxHedges: optionInteger(settings.maxHedges, { min: 1, max: 100 }),
      handle: optionFunction(settings.handle),
      budget: optionBudget(settings.budget),
      clock: optionClock(settings.clock, ['now', 'setTimeout']),
      logger: optionLogger(settings.logger, { uses: ['error'] }),
      name: optionString(settings.name),
    });
    const events = policyEmitter<{ hedge: HedgeEvent }>('hedge', settings.logger);
    const executor = new Executor<HedgeContext>({
      kind: 'hedge',
      name: settings.name,
      clock: settings.clock,
      logger: settings.logger,
      handle: settings.handle,
    });
    this.#events = events;
    this.#executor = executor;
    this.#settings = Object.freeze({
      delay: settings.delay,
      maxHedges: settings.maxHedges,
      budget: settings.budget,
      clock: settings.clock,
      executor,
      onHedge: (attempt: number, trigger: HedgeEvent['trigger']) => {
        events.emit('hedge', { attempt, trigger });
        executor.event('hedge', { 'keel.hedge.trigger': trigger }, { 'keel.hedge.attempt': attempt });
      },
      onWin: (attempt: number) =>
        executor.event('hedgeWin', { 'keel.hedge.winner': attempt === 1 ? 'primary' : 'hedge' }),
    });
  }

  /** Listens to every attempt's outcome (with its duration); aborted losers end `aborted`. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
  }

  /** Listens to every extra attempt launched. @returns a disposer. */
  onHedge(listener: (event: HedgeEvent) => void): Disposer {
    return this.#events.on('hedge', listener);
  }

  /**
   * Runs `fn` with hedging.
   * @returns the first successful result.
   * @throws the last error when every attempt failed, an unhandled error at once, or the abort
   * reason; when the caller aborts, every running attempt's signal aborts with that same reason.
   */
  execute<TResult>(
    fn: (context: HedgeContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    this.#settings.budget?.recordCall();
    return new Promise<TResult>((resolve, reject) => {
      new HedgeRace(this.#settings, fn, signal, { resolve, reject }).start();
    });
  }
}

/**
 * Creates a {@link HedgePolicy}. Use it only for idempotent calls: several attempts may run.
 *
 * @throws ValidationError on bad options.
 * @example
 * ```ts
 * const fast = hedge({ delay: 50, maxHedges: 2, budget: retryBudget({ ratio: 0.1 }) });
 * const user = await fast.execute(({ signal }) => replicas.next().getUser(id, { signal }));
 * ```
 */
export function hedge(options?: HedgeOptions): HedgePolicy {
  return new HedgePolicy(options);
}
