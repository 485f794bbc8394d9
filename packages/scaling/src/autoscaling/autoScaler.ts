import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { assertOptions, integerIn, numberIn } from '../internal/options.js';
import { resolveBehavior } from './behavior.js';
import type { ScalingBehavior } from './behavior.js';
import type { MetricSample } from './metricReplicas.js';
import { RECOMMEND_REPLICAS_DEFAULTS, recommendReplicas } from './recommendReplicas.js';
import type { Recommendation } from './recommendReplicas.js';
import { EMPTY_SCALING_HISTORY } from './scalingHistory.js';
import type { ScalingHistory } from './scalingHistory.js';

/** Options of {@link AutoScaler}. */
export interface AutoScalerOptions {
  /** Upper bound of replicas. */
  maxReplicas: number;
  /** Lower bound of replicas. @default 1 */
  minReplicas?: number;
  /** Replicas running at the start. @default minReplicas */
  initialReplicas?: number;
  /** Stabilization windows and rate policies. @default the HPA defaults */
  behavior?: ScalingBehavior;
  /** Usage ratios within this distance of 1 cause no change. @default 0.1 */
  tolerance?: number;
  /** Source of time for windows and periods. @default systemClock */
  clock?: Clock;
}

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
  readonly #options: AutoScalerOptions;
  readonly #minReplicas: number;
  readonly #clock: Clock;
  #replicas: number;
  #history: ScalingHistory = EMPTY_SCALING_HISTORY;

  /** @throws {ValidationError} When a bound, the tolerance or the behavior is out of range. */
  constructor(options: AutoScalerOptions) {
    this.#minReplicas = options.minReplicas ?? RECOMMEND_REPLICAS_DEFAULTS.minReplicas;
    this.#replicas = options.initialReplicas ?? this.#minReplicas;
    assertOptions('AutoScaler options', [
      ['minReplicas', integerIn(this.#minReplicas, 1)],
      ['maxReplicas', integerIn(options.maxReplicas, this.#minReplicas)],
      ['initialReplicas', integerIn(this.#replicas, 0)],
      ['tolerance', numberIn(options.tolerance ?? RECOMMEND_REPLICAS_DEFAULTS.tolerance, 0, 1)],
    ]);
    resolveBehavior(options.behavior);
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
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
    const { maxReplicas, behavior, tolerance } = this.#options;
    const recommendation = recommendReplicas({
      currentReplicas,
      metrics,
      maxReplicas,
      minReplicas: this.#minReplicas,
      now: this.#clock.now(),
      history: this.#history,
      ...(behavior === undefined ? {} : { behavior }),
      ...(tolerance === undefined ? {} : { tolerance }),
    });
    this.#history = recommendation.history;
    this.#replicas = recommendation.replicas;
    return recommendation;
  }

  /** Forgets the history and sets the replica count (e.g. after a manual override). */
  reset(replicas: number = this.#minReplicas): void {
    assertOptions('AutoScaler reset', [['replicas', integerIn(replicas, 0)]]);
    this.#history = EMPTY_SCALING_HISTORY;
    this.#replicas = replicas;
  }
}
