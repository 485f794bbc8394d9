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
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, Logger, Policy, PolicyContext } from '@keel/core';
import { exponentialBackoff } from '../backoff/backoff.js';
import type { Backoff, BackoffSequence } from '../backoff/backoff.js';
import { policyEmitter } from '../internal/events.js';
import { Executor } from '../internal/executor.js';
import type { PolicyOutcome } from '../internal/executor.js';
import { errorType } from '../internal/telemetry.js';
import { optionBackoff, optionBudget } from '../internal/optionKinds.js';
import { contextFor, INERT_SIGNAL, isInert } from '../internal/signal.js';
import type { RetryBudget } from './retryBudget.js';

/** What a retried function receives. */
export interface RetryContext extends PolicyContext {
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  readonly attempt: number;
}

/** How an attempt ended: with an `error`, or with a `result` the result predicate rejected. */
export type RetryOutcome = { readonly error: unknown } | { readonly result: unknown };

/** Payload of {@link RetryPolicy.onRetry}. */
export interface RetryEvent {
  /** The attempt about to run (2 for the first retry). */
  readonly attempt: number;
  /** How long the policy waits first, in ms. */
  readonly delay: number;
  /** How the previous attempt ended. */
  readonly outcome: RetryOutcome;
}

/** Payload of {@link RetryPolicy.onGiveUp}. */
export interface GiveUpEvent {
  /** How many attempts ran. */
  readonly attempts: number;
  /** Why no further attempt runs. */
  readonly reason: 'max-retries' | 'budget-exhausted';
  /** How the last attempt ended. */
  readonly outcome: RetryOutcome;
}

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Retries after the first attempt; `Infinity` retries until success or abort. @default 3 */
  maxRetries?: number | undefined;
  /** The delays between attempts. @default exponentialBackoff(200) (200, 400, 800 … ms, max 30 s) */
  backoff?: Backoff | undefined;
  /** Which errors are worth retrying. An aborted caller signal is never retried. @default every error */
  handle?: ((error: unknown, context: RetryContext) => boolean) | undefined;
  /** Which results are failures worth retrying (e.g. HTTP 503). @default none */
  handleResult?: ((result: unknown, context: RetryContext) => boolean) | undefined;
  /**
   * A delay taken from the outcome (e.g. a `Retry-After` header); `undefined` falls back to the
   * backoff. Non-finite or negative values are ignored.
   * @default none
   */
  retryAfter?: ((outcome: RetryOutcome, context: RetryContext) => number | undefined) | undefined;
  /** The longest single wait, whatever its source (`Infinity`: no cap beyond the backoff's). @default 30_000 */
  maxDelay?: number | undefined;
  /** A shared budget limiting retries to a ratio of calls. @default unlimited */
  budget?: RetryBudget | undefined;
  /** Where sleeps come from. @default systemClock */
  clock?: Clock | undefined;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger | undefined;
  /** Names the policy in telemetry (`keel.policy.name`) and outcome events. @default 'retry' */
  name?: string | undefined;
}

/** The defaults of {@link RetryOptions}. */
const RETRY_DEFAULTS = Object.freeze({
  maxRetries: 3,
  backoff: exponentialBackoff(200) as Backoff,
  handle: ((): boolean => true) as NonNullable<RetryOptions['handle']>,
  maxDelay: 30_000,
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
  name: 'retry',
});

interface RetryEvents {
  retry: RetryEvent;
  giveUp: GiveUpEvent;
}

type Settings = ReturnType<typeof retrySettings>;

/** Merges `options` over the defaults (`undefined` keeps a default) and checks them. */
function retrySettings(options: RetryOptions | undefined) {
  const settings = withDefaults(RETRY_DEFAULTS, options);
  assertOptions('retry', {
    maxRetries: optionInteger(settings.maxRetries, { min: 0, infinity: true }),
    backoff: optionBackoff(settings.backoff),
    handle: optionFunction(settings.handle),
    handleResult: optionFunction(settings.handleResult),
    retryAfter: optionFunction(settings.retryAfter),
    maxDelay: optionNumber(settings.maxDelay, { min: 0, infinity: true }),
    budget: optionBudget(settings.budget),
    clock: optionClock(settings.clock, ['now', 'sleep']),
    logger: optionLogger(settings.logger, { uses: ['error'] }),
    name: optionString(settings.name),
  });
  return Object.freeze(settings);
}

/** One attempt's context: its number, and the execution's signal (created only when read). */
class AttemptContext implements RetryContext {
  readonly attempt: number;
  readonly #shared: PolicyContext;

  constructor(attempt: number, shared: PolicyContext) {
    this.attempt = attempt;
    this.#shared = shared;
  }

  /** The execution's signal (the caller's, or a fresh one created when first read). */
  get signal(): AbortSignal {
    return this.#shared.signal;
  }

  get [INERT_SIGNAL](): boolean {
    return isInert(this.#shared);
  }
}

/**
 * Retries a failing call with backoff. Sleeps stop at once when the caller's signal aborts.
 * Implements the core `Policy`; the function receives `{ signal, attempt }`.
 */
export class RetryPolicy implements Policy<RetryContext> {
  readonly #settings: Settings;
  readonly #events;
  readonly #executor: Executor<RetryContext>;

  /** Prefer {@link retry}. @throws ValidationError on bad options. */
  constructor(options?: RetryOptions) {
    const settings = retrySettings(options);
    this.#settings = settings;
    this.#events = policyEmitter<RetryEvents>('retry', settings.logger);
    this.#executor = new Executor<RetryContext>({
      kind: 'retry',
      name: settings.name,
      clock: settings.clock,
      logger: settings.logger,
      handle: settings.handle,
      handleResult: settings.handleResult,
    });
  }

  /** Listens to every attempt's outcome (with its duration). @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
  }

  /** Listens to every retry (before its wait). @returns a disposer. */
  onRetry(listener: (event: RetryEvent) => void): Disposer {
    return this.#events.on('retry', listener);
  }

  /** Listens to failures that are not retried any more. @returns a disposer. */
  onGiveUp(listener: (event: GiveUpEvent) => void): Disposer {
    return this.#events.on('giveUp', listener);
  }

  /**
   * Runs `fn`, retrying per the options.
   * @returns the first accepted result, or the last rejected result when retries run out.
   * @throws the last error when retries run out; the abort reason (never the attempt's own
   * error) once `signal` has aborted.
   */
  async execute<TResult>(
    fn: (context: RetryContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    throwIfAborted(signal);
    const shared = contextFor(signal);
    this.#settings.budget?.recordCall();
    let sequence: BackoffSequence | undefined;
    for (let attempt = 1; ; attempt++) {
      const context = new AttemptContext(attempt, shared);
      // The call is awaited here, not in the executor: one promise less per attempt.
      const startedAt = this.#executor.begin();
      let settled: PolicyOutcome<TResult> | undefined;
      let result!: TResult;
      try {
        result = await fn(context);
      } catch (error) {
        settled = this.#executor.failed(error, context, signal, startedAt);
      }
      settled ??= this.#executor.succeeded(result, context, startedAt);
      if (settled.outcome === 'success') return settled.result;
      // A caller that gave up gets its own reason, not whatever the aborted attempt threw.
      if (settled.outcome === 'aborted') throw abortReason(signal!);
      if (settled.outcome !== 'failure') throw (settled as { error: unknown }).error;
      const outcome: RetryOutcome =
        'error' in settled ? { error: settled.error } : { result: settled.result };
      if (signal?.aborted) throw abortReason(signal);
      sequence ??= this.#settings.backoff.begin();
      const delay = this.#nextDelay(outcome, context, sequence);
      if (delay === undefined) {
        if ('error' in outcome) throw outcome.error;
        return outcome.result as TResult;
      }
      await this.#settings.clock.sleep(delay, signal);
    }
  }

  /** The wait before the next attempt, or `undefined` (after `giveUp`) when there is none. */
  #nextDelay(outcome: RetryOutcome, context: RetryContext, sequence: BackoffSequence): number | undefined {
    const giveUp = this.#giveUpReason(context.attempt);
    const failure = 'error' in outcome ? errorType(outcome.error) : undefined;
    if (giveUp !== undefined) {
      this.#events.emit('giveUp', { attempts: context.attempt, reason: giveUp, outcome });
      this.#executor.event(
        'giveUp',
        { 'keel.reason': giveUp, 'error.type': failure },
        { 'keel.retry.attempts': context.attempt },
      );
      return undefined;
    }
    const delay = this.#delay(outcome, context, sequence);
    this.#events.emit('retry', { attempt: context.attempt + 1, delay, outcome });
    this.#executor.event(
      'retry',
      { 'error.type': failure },
      { 'keel.retry.attempt': context.attempt + 1, 'keel.retry.delay_ms': delay },
    );
    return delay;
  }

  #giveUpReason(attempt: number): GiveUpEvent['reason'] | undefined {
    if (attempt > this.#settings.maxRetries) return 'max-retries';
    if (this.#settings.budget !== undefined && !this.#settings.budget.tryWithdraw())
      return 'budget-exhausted';
    return undefined;
  }

  #delay(outcome: RetryOutcome, context: RetryContext, sequence: BackoffSequence): number {
    const fromOutcome = this.#settings.retryAfter?.(outcome, context);
    const delay =
      fromOutcome !== undefined && Number.isFinite(fromOutcome) && fromOutcome >= 0
        ? fromOutcome
        : sequence.next(context.attempt);
    return Math.min(delay, this.#settings.maxDelay);
  }
}

/**
 * Creates a {@link RetryPolicy}.
 *
 * @param options How often, how long between attempts, and which failures to retry.
 * @throws ValidationError when an option is out of range (e.g. `maxRetries: -1`).
 * @example
 * ```ts
 * const policy = retry({ maxRetries: 5, backoff: decorrelatedJitterBackoff(100) });
 * const body = await policy.execute(({ signal, attempt }) => fetchJson(url, { signal, attempt }));
 * ```
 */
export function retry(options?: RetryOptions): RetryPolicy {
  return new RetryPolicy(options);
}
