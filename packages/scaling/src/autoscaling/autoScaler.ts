import {
  assertOptions,
  optionClock,
  optionInteger,
  optionNumber,
  optionRule,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import { behaviorSettings } from './behavior.js';
import type { ScalingBehavior } from './behavior.js';
import type { MetricSample } from './metricReplicas.js';
import { RECOMMEND_REPLICAS_DEFAULTS, recommendReplicas } from './recommendReplicas.js';
import type { Recommendation } from './recommendReplicas.js';
import { EMPTY_SCALING_HISTORY } from './scalingHistory.js';
import { recordScalingDecision } from './autoScalerTelemetry.js';
import type { ScalingHistory } from './scalingHistory.js';

/** Options of {@link AutoScaler}. */
export interface AutoScalerOptions {
  /** Upper bound of replicas (required, >= minReplicas). */
  maxReplicas: number;
  /** Lower bound of replicas. @default 1 */
  minReplicas?: number | undefined;
  /** Replicas running at the start. @default minReplicas */
  initialReplicas?: number | undefined;
  /** Stabilization windows and rate policies. @default the HPA defaults */
  behavior?: ScalingBehavior | undefined;
  /** Usage ratios within this distance of 1 cause no change. @default 0.1 */
  tolerance?: number | undefined;
  /** Source of time for windows and periods. @default systemClock */
  clock?: Clock | undefined;
  /** Names the autoscaler in its metrics (`keel.autoscaler.name`). @default 'default' */
  name?: string | undefined;
}

/** The defaults of {@link AutoScalerOptions} (`initialReplicas` defaults to `minReplicas`). */
export const AUTO_SCALER_DEFAULTS = Object.freeze({
  minReplicas: RECOMMEND_REPLICAS_DEFAULTS.minReplicas,
  tolerance: RECOMMEND_REPLICAS_DEFAULTS.tolerance,
  clock: systemClock,
  name: 'default',
});

/**
 * A stateful HPA-style autoscaler: it remembers the replica count, past recommendations and
 * scale events, and turns each round of metrics into a decision with {@link recommendReplicas}.
 * Call `evaluate` on your own schedule (the HPA uses every 15 s), then scale your workers to
 * `replicas`; if something else changed the count, pass it as `currentReplicas`.
 *
 * @example
 * ```ts
 * const scaler = new AutoScaler({ minReplicas: 2, maxReplicas: 20 });
 * const { replicas } = scaler.evaluate([{ name: 'cpu', current: 0.9, target: 0.6 }]);
 * await pool.resize(replicas);
 * ```
 */
export class AutoScaler {
  readonly #maxReplicas: number;
  readonly #minReplicas: number;
  readonly #tolerance: number;
  readonly #behavior: ScalingBehavior | undefined;
  readonly #clock: Clock;
  readonly #name: string;
  #replicas: number;
  #history: ScalingHistory = EMPTY_SCALING_HISTORY;

  /**
   * @param options Bounds, tolerance, behavior and clock; an option left out or `undefined`
   *   keeps its default (`maxReplicas` is required).
   * @throws {ValidationError} When a bound, the tolerance or the behavior is out of range, or
   *   `maxReplicas` is missing.
   */
  constructor(options: AutoScalerOptions) {
    const settings = withDefaults(AUTO_SCALER_DEFAULTS, options);
    const initialReplicas = settings.initialReplicas ?? settings.minReplicas;
    const behavior = behaviorSettings(settings.behavior);
    assertOptions('AutoScaler', {
      minReplicas: optionInteger(settings.minReplicas, { min: 1 }),
      maxReplicas:
        optionInteger(settings.maxReplicas, { min: 1, required: true }) ??
        optionRule(
          !(settings.maxReplicas < settings.minReplicas),
          `must be >= minReplicas (got ${settings.maxReplicas} < ${settings.minReplicas}).`,
        ),
      initialReplicas: optionInteger(initialReplicas, { min: 0 }),
      tolerance: optionNumber(settings.tolerance, { min: 0, max: 1 }),
      clock: optionClock(settings.clock, ['now']),
      name: optionString(settings.name),
      ...behavior.checks,
    });
    this.#maxReplicas = settings.maxReplicas;
    this.#minReplicas = settings.minReplicas;
    this.#tolerance = settings.tolerance;
    this.#behavior = settings.behavior;
    this.#clock = settings.clock;
    this.#name = settings.name;
    this.#replicas = initialReplicas;
  }

  /** The replica count after the last evaluation. */
  get replicas(): number {
    return this.#replicas;
  }

  /** The remembered recommendations and scale events. */
  get history(): ScalingHistory {
    return this.#history;
  }

  /**
   * Decides the replica count from this round of metrics and remembers it.
   * @param metrics The observed metrics and their targets.
   * @param currentReplicas Replicas actually running, when they differ from the last decision.
   */
  evaluate(metrics: readonly MetricSample[], currentReplicas: number = this.#replicas): Recommendation {
    const recommendation = recommendReplicas({
      currentReplicas,
      metrics,
      maxReplicas: this.#maxReplicas,
      minReplicas: this.#minReplicas,
      tolerance: this.#tolerance,
      now: this.#clock.now(),
      history: this.#history,
      ...(this.#behavior === undefined ? {} : { behavior: this.#behavior }),
    });
    this.#history = recommendation.history;
    this.#replicas = recommendation.replicas;
    recordScalingDecision(this.#name, currentReplicas, recommendation);
    return recommendation;
  }

  /** Forgets the history and sets the replica count (e.g. after a manual override). */
  reset(replicas: number = this.#minReplicas): void {
    assertOptions('AutoScaler.reset', { replicas: optionInteger(replicas, { min: 0 }) });
    this.#history = EMPTY_SCALING_HISTORY;
    this.#replicas = replicas;
  }
}
