import {
  assertOptions,
  describeValue,
  optionInteger,
  optionNumber,
  optionOneOf,
  optionRule,
  optionString,
  withDefaults,
} from '@keel/core';
import type { OptionProblem } from '@keel/core';
import { behaviorSettings } from './behavior.js';
import type { ResolvedBehavior, ResolvedScalingRules, ScalingBehavior } from './behavior.js';
import { metricReplicas } from './metricReplicas.js';
import type { MetricRecommendation, MetricSample } from './metricReplicas.js';
import { changesWithin, EMPTY_SCALING_HISTORY } from './scalingHistory.js';
import type { ScalingHistory } from './scalingHistory.js';

/** What {@link recommendReplicas} decides from. */
export interface ReplicaInput {
  /** Replicas running now; 0 means autoscaling is off (as in the HPA). */
  readonly currentReplicas: number;
  /** The metrics; the one asking for the most replicas wins. */
  readonly metrics: readonly MetricSample[];
  /** Upper bound of replicas. */
  readonly maxReplicas: number;
  /** Lower bound of replicas. @default 1 */
  readonly minReplicas?: number | undefined;
  /** Stabilization windows and rate policies. @default the HPA defaults */
  readonly behavior?: ScalingBehavior | undefined;
  /** Usage ratios within this distance of 1 cause no change. @default 0.1 */
  readonly tolerance?: number | undefined;
  /** The current time in ms (e.g. `clock.now()`). */
  readonly now: number;
  /** What the previous call returned as `history`. @default EMPTY_SCALING_HISTORY */
  readonly history?: ScalingHistory | undefined;
}

/** Why the recommendation is what it is. */
export type RecommendationReason =
  | 'ScalingDisabled'
  | 'AboveMaxReplicas'
  | 'BelowMinReplicas'
  | 'DesiredWithinRange'
  | 'ScaleUpStabilized'
  | 'ScaleDownStabilized'
  | 'ScaleUpLimit'
  | 'ScaleDownLimit'
  | 'TooManyReplicas'
  | 'TooFewReplicas';

/** The decision of {@link recommendReplicas}. */
export interface Recommendation {
  /** The replica count to scale to now. */
  readonly replicas: number;
  /** What the metrics alone ask for (the largest over all metrics). */
  readonly metricReplicas: number;
  /** After the stabilization windows, before rate limits and bounds. */
  readonly stabilizedReplicas: number;
  readonly reason: RecommendationReason;
  /** Each metric's own recommendation. */
  readonly perMetric: readonly MetricRecommendation[];
  /** The history to pass to the next call. */
  readonly history: ScalingHistory;
}

/** The defaults of {@link ReplicaInput}. */
export const RECOMMEND_REPLICAS_DEFAULTS = Object.freeze({ minReplicas: 1, tolerance: 0.1 });

/** The checks of the metrics of an input, under `metrics.`. */
export function metricChecks(metrics: unknown): Record<string, OptionProblem> {
  if (!Array.isArray(metrics) || metrics.length === 0)
    return { metrics: `must be an array of at least one metric (got ${describeValue(metrics)}).` };
  const checks: Record<string, OptionProblem> = {};
  metrics.forEach((metric: unknown, index) => {
    if (metric === null || typeof metric !== 'object') {
      checks[`metrics.${index}`] = `must be a metric { current, target } (got ${describeValue(metric)}).`;
      return;
    }
    const { name, current, target, kind } = metric as Record<string, unknown>;
    checks[`metrics.${index}.name`] = optionString(name);
    checks[`metrics.${index}.current`] = optionNumber(current, { min: 0, required: true });
    checks[`metrics.${index}.target`] = optionNumber(target, { min: 0, exclusiveMin: true, required: true });
    checks[`metrics.${index}.kind`] = optionOneOf(kind, ['average', 'total']);
  });
  return checks;
}

function historyProblem(history: unknown): OptionProblem {
  const ok =
    history !== null &&
    typeof history === 'object' &&
    Array.isArray((history as ScalingHistory).recommendations) &&
    Array.isArray((history as ScalingHistory).events);
  return ok ? undefined : `must be the history a previous call returned (got ${describeValue(history)}).`;
}

type Settings = ReplicaInput & { readonly minReplicas: number; readonly tolerance: number };

function checkInput(input: Settings, behavior: Record<string, OptionProblem>): void {
  assertOptions('replica input', {
    currentReplicas: optionInteger(input.currentReplicas, { min: 0, required: true }),
    minReplicas: optionInteger(input.minReplicas, { min: 1 }),
    maxReplicas:
      optionInteger(input.maxReplicas, { min: 1, required: true }) ??
      optionRule(
        !(input.maxReplicas < input.minReplicas),
        `must be >= minReplicas (got ${input.maxReplicas} < ${input.minReplicas}).`,
      ),
    tolerance: optionNumber(input.tolerance, { min: 0, max: 1 }),
    now: optionNumber(input.now, { required: true }),
    history: input.history === undefined ? undefined : historyProblem(input.history),
    ...metricChecks(input.metrics),
    ...behavior,
  });
}

/** Applies the stabilization windows: the safest value among recent recommendations. */
function stabilize(
  desired: number,
  current: number,
  now: number,
  past: ScalingHistory['recommendations'],
  rules: { scaleUp: ResolvedScalingRules; scaleDown: ResolvedScalingRules },
): number {
  const upCutoff = now - rules.scaleUp.stabilizationWindowSeconds * 1_000;
  const downCutoff = now - rules.scaleDown.stabilizationWindowSeconds * 1_000;
  let up = desired;
  let down = desired;
  for (const entry of past) {
    if (entry.at > upCutoff) up = Math.min(up, entry.replicas);
    if (entry.at > downCutoff) down = Math.max(down, entry.replicas);
  }
  return Math.min(Math.max(current, up), down);
}

/** The most replicas the scale-up policies allow right now. */
export function scaleUpLimit(
  current: number,
  history: ScalingHistory,
  now: number,
  rules: ResolvedScalingRules,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let limit = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const policy of rules.policies) {
    const { added, removed } = changesWithin(history.events, now, policy.periodSeconds);
    const start = current - added + removed;
    const proposed =
      policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
    limit = pick(limit, proposed);
  }
  return limit;
}

/** The fewest replicas the scale-down policies allow right now. */
export function scaleDownLimit(
  current: number,
  history: ScalingHistory,
  now: number,
  rules: ResolvedScalingRules,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  // The smallest change (Min) keeps the most replicas.
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let limit = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const policy of rules.policies) {
    const { added, removed } = changesWithin(history.events, now, policy.periodSeconds);
    const start = current - added + removed;
    const proposed =
      policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
    limit = pick(limit, proposed);
  }
  return limit;
}

function limitRate(
  input: ReplicaInput,
  desired: number,
  minReplicas: number,
  rules: { scaleUp: ResolvedScalingRules; scaleDown: ResolvedScalingRules },
): { replicas: number; reason: RecommendationReason } {
  const { currentReplicas: current, history = EMPTY_SCALING_HISTORY, now } = input;
  if (desired > current) {
    const limit = Math.max(current, scaleUpLimit(current, history, now, rules.scaleUp));
    const allowed = Math.min(input.maxReplicas, limit);
    if (desired > allowed)
      return { replicas: allowed, reason: limit < input.maxReplicas ? 'ScaleUpLimit' : 'TooManyReplicas' };
  } else if (desired < current) {
    const limit = Math.min(current, scaleDownLimit(current, history, now, rules.scaleDown));
    const allowed = Math.max(minReplicas, limit);
    if (desired < allowed)
      return { replicas: allowed, reason: limit > minReplicas ? 'ScaleDownLimit' : 'TooFewReplicas' };
  }
  return { replicas: desired, reason: 'DesiredWithinRange' };
}

function nextHistory(
  input: ReplicaInput,
  desired: number | undefined,
  replicas: number,
  rules: ResolvedBehavior,
): ScalingHistory {
  const { now, history = EMPTY_SCALING_HISTORY, currentReplicas } = input;
  const keepFor =
    Math.max(rules.scaleUp.stabilizationWindowSeconds, rules.scaleDown.stabilizationWindowSeconds) * 1_000;
  const periods = [...rules.scaleUp.policies, ...rules.scaleDown.policies].map(
    (policy) => policy.periodSeconds,
  );
  const eventsFor = Math.max(0, ...periods) * 1_000;
  const recommendations = history.recommendations.filter((entry) => entry.at > now - keepFor);
  const events = history.events.filter((event) => event.at > now - eventsFor);
  return {
    recommendations:
      desired === undefined ? recommendations : [...recommendations, { at: now, replicas: desired }],
    events:
      replicas === currentReplicas ? events : [...events, { at: now, change: replicas - currentReplicas }],
  };
}

/**
 * Decides how many replicas to run, as the Kubernetes Horizontal Pod Autoscaler does: each
 * metric asks for ⌈replicas × current / target⌉ (no change within `tolerance`), the largest
 * wins, the stabilization windows pick the safest recent recommendation (the highest of the
 * last 300 s before scaling down, by default), the rate policies cap the change per period,
 * and the result stays within [minReplicas, maxReplicas]. Pure: pass back `history` each time.
 *
 * @param given Replicas, metrics, bounds, behavior, the time and the previous history; an
 *   optional field left out or `undefined` keeps its default.
 * @returns The replicas to scale to, the intermediate values, the reason and the new history.
 * @throws {ValidationError} When an input or behavior field is out of range.
 * @example
 * ```ts
 * const r = recommendReplicas({
 *   currentReplicas: 1, maxReplicas: 10, now: clock.now(),
 *   metrics: [{ name: 'cpu', current: 3.05, target: 0.5 }],
 * });
 * r.metricReplicas; // 7 (⌈1 × 305% / 50%⌉)
 * r.replicas;       // 5: the default scale-up policy allows +4 pods per 15 s
 * ```
 */
export function recommendReplicas(given: ReplicaInput): Recommendation {
  const input: Settings = withDefaults(RECOMMEND_REPLICAS_DEFAULTS, given);
  const { rules, checks } = behaviorSettings(input.behavior);
  checkInput(input, checks);
  const { minReplicas, tolerance } = input;
  const history = input.history ?? EMPTY_SCALING_HISTORY;
  const current = input.currentReplicas;
  const perMetric = input.metrics.map((metric, index) =>
    metricReplicas(metric, index, Math.max(current, 1), tolerance),
  );
  const wanted = Math.max(...perMetric.map((metric) => metric.replicas));
  const fixed = (replicas: number, reason: RecommendationReason): Recommendation => ({
    replicas,
    metricReplicas: wanted,
    stabilizedReplicas: replicas,
    reason,
    perMetric,
    history: nextHistory(input, undefined, replicas, rules),
  });
  if (current === 0) return { ...fixed(0, 'ScalingDisabled'), history };
  if (current > input.maxReplicas) return fixed(input.maxReplicas, 'AboveMaxReplicas');
  if (current < minReplicas) return fixed(minReplicas, 'BelowMinReplicas');
  const stabilized = stabilize(wanted, current, input.now, history.recommendations, rules);
  const limited = limitRate(input, stabilized, minReplicas, rules);
  const stabilizedReason =
    stabilized === wanted ? undefined : stabilized < wanted ? 'ScaleUpStabilized' : 'ScaleDownStabilized';
  return {
    replicas: limited.replicas,
    metricReplicas: wanted,
    stabilizedReplicas: stabilized,
    reason: limited.reason === 'DesiredWithinRange' ? (stabilizedReason ?? limited.reason) : limited.reason,
    perMetric,
    history: nextHistory(input, wanted, limited.replicas, rules),
  };
}
