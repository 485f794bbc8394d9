import {
  assertOptions,
  describeValue,
  noopLogger,
  optionClock,
  optionFunction,
  optionLogger,
  optionRatio,
  optionRule,
  optionString,
  systemClock,
  throwIfAborted,
  toError,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, Logger, OptionProblem, PolicyContext } from '@keel/core';
import { ChaosFaultError } from '../errors/errors.js';
import { policyEmitter } from '../internal/events.js';
import { Executor, unwrap } from '../internal/executor.js';
import type { PolicyOutcome } from '../internal/executor.js';
import { optionNumberOr } from '../internal/optionKinds.js';
import { contextFor } from '../internal/signal.js';
import type { ResiliencePolicy } from '../pipeline/pipeline.js';

/** Options of {@link chaos}. */
export interface ChaosOptions<TInjected = never> {
  /** Share of calls that wait `latency` first. @default 0 */
  latencyRate?: number | undefined;
  /** Added latency in ms, or a function of a random number in [0, 1). @default 1_000 */
  latency?: (number | ((random: number) => number)) | undefined;
  /** Share of calls that fail with `fault` instead of running. @default 0 */
  faultRate?: number | undefined;
  /** Makes the error thrown (a non-`Error` value is wrapped, with it as `cause`). @default a ChaosFaultError */
  fault?: ((context: PolicyContext) => unknown) | undefined;
  /** Share of calls that resolve to `result` instead of running. @default 0 */
  resultRate?: number | undefined;
  /** The substitute result (required when `resultRate` > 0). */
  result?: ((context: PolicyContext) => TInjected) | undefined;
  /** Turns injection on and off at run time (e.g. from a feature flag). @default true */
  enabled?: (boolean | (() => boolean)) | undefined;
  /** The random source; pass `seededRandom(seed)` for replayable runs. @default Math.random */
  random?: (() => number) | undefined;
  /** Where latency sleeps come from. @default systemClock */
  clock?: Clock | undefined;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger | undefined;
  /** Names the policy in telemetry (`keel.policy.name`) and outcome events. @default 'chaos' */
  name?: string | undefined;
}

/** Payload of {@link ChaosPolicy.onInject}. */
export interface ChaosEvent {
  readonly kind: 'latency' | 'fault' | 'result';
}

/** The defaults of {@link ChaosOptions}. */
const CHAOS_DEFAULTS = Object.freeze({
  latencyRate: 0,
  latency: 1_000 as number | ((random: number) => number),
  faultRate: 0,
  resultRate: 0,
  enabled: true as boolean | (() => boolean),
  random: Math.random as () => number,
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
  name: 'chaos',
});

function optionEnabled(value: unknown): OptionProblem {
  return typeof value === 'boolean' || typeof value === 'function'
    ? undefined
    : `must be true, false or a function returning one (got ${describeValue(value)}).`;
}

/** Merges `options` over the defaults (`undefined` keeps a default) and checks them. */
function chaosSettings<TInjected>(options: ChaosOptions<TInjected> | undefined) {
  const settings = withDefaults(CHAOS_DEFAULTS, options);
  assertOptions('chaos', {
    latencyRate: optionRatio(settings.latencyRate),
    latency: optionNumberOr(
      settings.latency,
      { min: 0 },
      {
        kind: 'a function of a random number',
        accepts: (value) => typeof value === 'function',
      },
    ),
    faultRate: optionRatio(settings.faultRate),
    fault: optionFunction(settings.fault),
    resultRate: optionRatio(settings.resultRate),
    result:
      optionFunction(settings.result) ??
      optionRule(
        !(settings.resultRate > 0 && settings.result === undefined),
        'is required when resultRate > 0: pass a function returning the value to inject.',
      ),
    enabled: optionEnabled(settings.enabled),
    random: optionFunction(settings.random),
    clock: optionClock(settings.clock, ['now', 'sleep']),
    logger: optionLogger(settings.logger, { uses: ['error'] }),
    name: optionString(settings.name),
  });
  return Object.freeze(settings);
}

/**
 * Injects latency, faults or substitute results into a share of calls, to test how the rest of
 * the system copes. Latency comes first (abortable), then a fault, then a result; each is drawn
 * independently from the random source.
 */
export class ChaosPolicy<TInjected = never> implements ResiliencePolicy<PolicyContext, TInjected> {
  declare readonly '~extra'?: () => TInjected;
  readonly #options: ReturnType<typeof chaosSettings<TInjected>>;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #events;
  readonly #executor: Executor;

  /** Prefer {@link chaos}. @throws ValidationError on bad options. */
  constructor(options?: ChaosOptions<TInjected>) {
    this.#options = chaosSettings(options);
    this.#random = this.#options.random;
    this.#clock = this.#options.clock;
    this.#events = policyEmitter<{ inject: ChaosEvent }>('chaos', this.#options.logger);
    const { name, logger } = this.#options;
    this.#executor = new Executor({ kind: 'chaos', name, clock: this.#clock, logger });
  }

  /** Listens to the outcome (with its duration) of every call that really ran. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
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
    if (this.#enabled()) {
      if (this.#draw(this.#options.latencyRate)) {
        this.#inject('latency');
        await this.#clock.sleep(this.#latency(), signal);
      }
      if (this.#draw(this.#options.faultRate)) {
        this.#inject('fault');
        throw toError(this.#options.fault?.(context) ?? new ChaosFaultError());
      }
      if (this.#draw(this.#options.resultRate)) {
        this.#inject('result');
        return this.#options.result!(context);
      }
    }
    return unwrap(await this.#executor.run(fn, context, signal), signal);
  }

  #inject(kind: ChaosEvent['kind']): void {
    this.#events.emit('inject', { kind });
    this.#executor.event('chaos', { 'keel.chaos.kind': kind });
  }

  #enabled(): boolean {
    const { enabled } = this.#options;
    return typeof enabled === 'function' ? enabled() : enabled;
  }

  #draw(rate: number): boolean {
    return rate > 0 && this.#random() < rate;
  }

  #latency(): number {
    const { latency } = this.#options;
    const ms = typeof latency === 'function' ? latency(this.#random()) : latency;
    return Number.isFinite(ms) && ms > 0 ? ms : 0;
  }
}

/**
 * Creates a {@link ChaosPolicy}, for tests and game days: never enable it in production
 * without a kill switch (`enabled`).
 *
 * @throws ValidationError when a rate is outside 0..1, `result` is missing for `resultRate`, or an
 *   option is of the wrong kind.
 * @example
 * ```ts
 * const flaky = chaos({ faultRate: 0.1, latencyRate: 0.2, latency: 500, random: seededRandom(1) });
 * await pipeline(retry(), flaky).execute(() => callService());
 * ```
 */
export function chaos<TInjected = never>(options?: ChaosOptions<TInjected>): ChaosPolicy<TInjected> {
  return new ChaosPolicy(options);
}
