import {
  abortReason,
  assertOptions,
  noopLogger,
  optionClock,
  optionFunction,
  optionLogger,
  optionString,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, Logger, PolicyContext } from '@keel/core';
import { policyEmitter } from '../internal/events.js';
import { Executor } from '../internal/executor.js';
import type { PolicyOutcome } from '../internal/executor.js';
import { errorType } from '../internal/telemetry.js';
import { contextFor } from '../internal/signal.js';
import type { ResiliencePolicy } from '../pipeline/pipeline.js';

/** How the call ended when the fallback stepped in. */
export type FallbackOutcome = { readonly error: unknown } | { readonly result: unknown };

/** Computes the substitute value from the failed outcome. */
export type FallbackHandler<TFallback> = (
  outcome: FallbackOutcome,
  context: PolicyContext,
) => PromiseLike<TFallback> | TFallback;

/** Options of {@link fallback}. */
export interface FallbackOptions {
  /** Which errors are replaced by the fallback. An aborted caller is never replaced. @default every error */
  handle?: ((error: unknown) => boolean) | undefined;
  /** Which results are replaced by the fallback. @default none */
  handleResult?: ((result: unknown) => boolean) | undefined;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger | undefined;
  /** Where call durations (in outcome events and telemetry) are measured. @default systemClock */
  clock?: Clock | undefined;
  /** Names the policy in telemetry (`keel.policy.name`) and outcome events. @default 'fallback' */
  name?: string | undefined;
}

/** The defaults of {@link FallbackOptions}. */
const FALLBACK_DEFAULTS = Object.freeze({
  handle: ((): boolean => true) as (error: unknown) => boolean,
  logger: noopLogger as Logger,
  clock: systemClock as Clock,
  name: 'fallback',
});

/**
 * Replaces a failure with a substitute value. It resolves to the call's result or the
 * substitute, so its result type is `TResult | TFallback`: a {@link ResiliencePolicy} that
 * widens the result (a core `Policy` cannot promise a substitute of the caller's type).
 */
export class FallbackPolicy<TFallback> implements ResiliencePolicy<PolicyContext, TFallback> {
  declare readonly '~extra'?: () => TFallback;
  readonly #handler: FallbackHandler<TFallback>;
  readonly #events;
  readonly #executor: Executor;

  /** Prefer {@link fallback}. @throws ValidationError on bad options. */
  constructor(handler: FallbackHandler<TFallback>, options?: FallbackOptions) {
    const settings = withDefaults(FALLBACK_DEFAULTS, options);
    assertOptions('fallback', {
      handler: optionFunction(handler, true),
      handle: optionFunction(settings.handle),
      handleResult: optionFunction(settings.handleResult),
      logger: optionLogger(settings.logger, { uses: ['error'] }),
      clock: optionClock(settings.clock, ['now']),
      name: optionString(settings.name),
    });
    this.#handler = handler;
    this.#events = policyEmitter<{ fallback: FallbackOutcome }>('fallback', settings.logger);
    this.#executor = new Executor({
      kind: 'fallback',
      name: settings.name,
      clock: settings.clock,
      logger: settings.logger,
      handle: settings.handle,
      handleResult: settings.handleResult,
    });
  }

  /** Listens to every call's outcome (with its duration), before any substitution. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
  }

  /** Listens to every substitution, with the outcome it replaced. @returns a disposer. */
  onFallback(listener: (outcome: FallbackOutcome) => void): Disposer {
    return this.#events.on('fallback', listener);
  }

  /**
   * Runs `fn`; on a handled failure resolves to the fallback value instead.
   * @throws unhandled errors, the fallback handler's own error, or the abort reason.
   */
  async execute<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult | TFallback> {
    throwIfAborted(signal);
    const context = contextFor(signal);
    const settled = await this.#executor.run(fn, context, signal);
    if (settled.outcome === 'success') return settled.result;
    // A caller that gave up gets its own reason, not whatever the call threw on the way out.
    if (settled.outcome === 'aborted') throw abortReason(signal!);
    if (settled.outcome !== 'failure') throw (settled as { error: unknown }).error;
    return this.#substitute(
      'error' in settled ? { error: settled.error } : { result: settled.result },
      context,
    );
  }

  async #substitute(outcome: FallbackOutcome, context: PolicyContext): Promise<TFallback> {
    this.#events.emit('fallback', outcome);
    this.#executor.event('fallback', {
      'error.type': 'error' in outcome ? errorType(outcome.error) : undefined,
    });
    return this.#handler(outcome, context);
  }
}

/**
 * Creates a {@link FallbackPolicy}. A function argument is called with the failed outcome to
 * compute the substitute; any other argument is the substitute itself.
 *
 * @param valueOrHandler The substitute (any value, `undefined` included), or a function computing it.
 * @throws ValidationError when an option is of the wrong kind.
 * @example
 * ```ts
 * const cached = fallback(({ error }) => cache.get(key), { handle: isBrokenCircuitError });
 * const prices = await cached.execute(() => pricing.fetch(key));
 * ```
 */
export function fallback<TFallback>(
  valueOrHandler: FallbackHandler<TFallback> | TFallback,
  options?: FallbackOptions,
): FallbackPolicy<TFallback> {
  const handler =
    typeof valueOrHandler === 'function'
      ? (valueOrHandler as FallbackHandler<TFallback>)
      : (): TFallback => valueOrHandler;
  return new FallbackPolicy(handler, options);
}
