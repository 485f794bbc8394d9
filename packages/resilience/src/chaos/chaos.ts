import { noopLogger, systemClock, throwIfAborted, toError } from '@keel/core';
import type { Clock, Disposer, Logger, PolicyContext } from '@keel/core';
import { ChaosFaultError } from '../errors/errors.js';
import { policyEmitter } from '../internal/events.js';
import { callable, nonNegative, ratio, relation, validateOptions } from '../internal/options.js';
import { contextFor } from '../internal/signal.js';
import type { ResiliencePolicy } from '../pipeline/pipeline.js';

/** Options of {@link chaos}. */
export interface ChaosOptions<TInjected = never> {
  /** Share of calls that wait `latency` first. @default 0 */
  latencyRate?: number;
  /** Added latency in ms, or a function of a random number in [0, 1). @default 1_000 */
  latency?: number | ((random: number) => number);
  /** Share of calls that fail with `fault` instead of running. @default 0 */
  faultRate?: number;
  /** Makes the error thrown (a non-`Error` value is wrapped, with it as `cause`). @default a ChaosFaultError */
  fault?: (context: PolicyContext) => unknown;
  /** Share of calls that resolve to `result` instead of running. @default 0 */
  resultRate?: number;
  /** The substitute result (required when `resultRate` > 0). */
  result?: (context: PolicyContext) => TInjected;
  /** Turns injection on and off at run time (e.g. from a feature flag). @default true */
  enabled?: boolean | (() => boolean);
  /** The random source; pass `seededRandom(seed)` for replayable runs. @default Math.random */
  random?: () => number;
  /** Where latency sleeps come from. @default systemClock */
  clock?: Clock;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger;
}

/** Payload of {@link ChaosPolicy.onInject}. */
export interface ChaosEvent {
  readonly kind: 'latency' | 'fault' | 'result';
}

function checkChaosOptions(options: ChaosOptions<unknown>): void {
  validateOptions('chaos', [
    ratio('latencyRate', options.latencyRate),
    ratio('faultRate', options.faultRate),
    ratio('resultRate', options.resultRate),
    typeof options.latency === 'function' ? undefined : nonNegative('latency', options.latency),
    callable('fault', options.fault),
    callable('result', options.result),
    callable('random', options.random),
    relation(
      'result',
      !((options.resultRate ?? 0) > 0 && options.result === undefined),
      'is required when resultRate > 0: pass the value to inject.',
    ),
  ]);
}

/**
 * Injects latency, faults or substitute results into a share of calls, to test how the rest of
 * the system copes. Latency comes first (abortable), then a fault, then a result; each is drawn
 * independently from the random source.
 */
export class ChaosPolicy<TInjected = never> implements ResiliencePolicy<PolicyContext, TInjected> {
  declare readonly '~extra'?: () => TInjected;
  readonly #options: ChaosOptions<TInjected>;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #events;

  /** Prefer {@link chaos}. @throws ValidationError on bad options. */
  constructor(options: ChaosOptions<TInjected> = {}) {
    checkChaosOptions(options);
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
    this.#events = policyEmitter<{ inject: ChaosEvent }>('chaos', options.logger ?? noopLogger);
  }

  /** Listens to every injection. @returns a disposer. */
  onInject(listener: (event: ChaosEvent) => void): Disposer {
    return this.#events.on('inject', listener);
  }

  /**
   * Runs `fn`, perhaps after added latency, or instead fails or resolves to the injected result.
   * @throws the injected fault, the call's own error, or the abort reason.
   */
  async execute<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult | TInjected> {
    throwIfAborted(signal);
    const context = contextFor(signal);
    if (!this.#enabled()) return fn(context);
    if (this.#draw(this.#options.latencyRate)) {
      this.#events.emit('inject', { kind: 'latency' });
      await this.#clock.sleep(this.#latency(), signal);
    }
    if (this.#draw(this.#options.faultRate)) {
      this.#events.emit('inject', { kind: 'fault' });
      throw toError(this.#options.fault?.(context) ?? new ChaosFaultError());
    }
    if (this.#draw(this.#options.resultRate)) {
      this.#events.emit('inject', { kind: 'result' });
      return this.#options.result!(context);
    }
    return fn(context);
  }

  #enabled(): boolean {
    const enabled = this.#options.enabled ?? true;
    return typeof enabled === 'function' ? enabled() : enabled;
  }

  #draw(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.#random() < rate;
  }

  #latency(): number {
    const latency = this.#options.latency ?? 1_000;
    const ms = typeof latency === 'function' ? latency(this.#random()) : latency;
    return Number.isFinite(ms) && ms > 0 ? ms : 0;
  }
}

/**
 * Creates a {@link ChaosPolicy}, for tests and game days: never enable it in production
 * without a kill switch (`enabled`).
 *
 * @throws ValidationError when a rate is outside 0..1 or `result` is missing for `resultRate`.
 * @example
 * ```ts
 * const flaky = chaos({ faultRate: 0.1, latencyRate: 0.2, latency: 500, random: seededRandom(1) });
 * await pipeline(retry(), flaky).execute(() => callService());
 * ```
 */
export function chaos<TInjected = never>(options: ChaosOptions<TInjected> = {}): ChaosPolicy<TInjected> {
  return new ChaosPolicy(options);
}
