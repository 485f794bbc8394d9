import { assertOptions, integerIn } from '../internal/options.js';
import type { OptionCheck } from '../internal/options.js';

/** A limit on how fast replicas change, as in the Kubernetes HPA `HPAScalingPolicy`. */
export interface ScalingPolicy {
  /** `Pods`: change by at most `value` replicas; `Percent`: by at most `value`% of the replicas at the start of the period. */
  readonly type: 'Pods' | 'Percent';
  /** The amount (an integer above 0). */
  readonly value: number;
  /** The look-back window the limit applies to, in seconds (1 to 1800). */
  readonly periodSeconds: number;
}

/** Which policy wins when several apply: the largest change, the smallest, or none at all. */
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

/** Rules for one direction of scaling, as in the HPA `HPAScalingRules`. */
export interface ScalingRules {
  /**
   * How far back (seconds, 0 to 3600) past recommendations are considered: scaling down uses
   * the highest recommendation in the window, scaling up the lowest, which prevents flapping.
   * @default 0 for scale-up, 300 for scale-down
   */
  readonly stabilizationWindowSeconds?: number;
  /** @default 'Max' */
  readonly selectPolicy?: SelectPolicy;
  /**
   * Rate limits. @default scale-up: 100% or 4 pods per 15 s (whichever is more); scale-down:
   * 100% per 15 s
   */
  readonly policies?: readonly ScalingPolicy[];
}

/** Scale-up and scale-down rules, as in the HPA `behavior` field. */
export interface ScalingBehavior {
  readonly scaleUp?: ScalingRules;
  readonly scaleDown?: ScalingRules;
}

/** Rules with every field filled in. */
export type ResolvedScalingRules = Readonly<Required<ScalingRules>>;

/** The HPA's default scale-up rules: no stabilization, at most double or +4 pods per 15 s. */
export const DEFAULT_SCALE_UP_RULES: ResolvedScalingRules = Object.freeze({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: Object.freeze([
    Object.freeze({ type: 'Percent', value: 100, periodSeconds: 15 }),
    Object.freeze({ type: 'Pods', value: 4, periodSeconds: 15 }),
  ]),
});

/** The HPA's default scale-down rules: a 300 s stabilization window, down to the minimum at once. */
export const DEFAULT_SCALE_DOWN_RULES: ResolvedScalingRules = Object.freeze({
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: Object.freeze([Object.freeze({ type: 'Percent', value: 100, periodSeconds: 15 })]),
});

function resolveRules(rules: ScalingRules | undefined, defaults: ResolvedScalingRules): ResolvedScalingRules {
  return Object.freeze({ ...defaults, ...rules });
}

function ruleChecks(direction: string, rules: ResolvedScalingRules): OptionCheck[] {
  const checks: OptionCheck[] = [
    [`${direction}.stabilizationWindowSeconds`, integerIn(rules.stabilizationWindowSeconds, 0, 3_600)],
    [
      `${direction}.selectPolicy`,
      ['Max', 'Min', 'Disabled'].includes(rules.selectPolicy)
        ? undefined
        : `must be Max, Min or Disabled; got ${rules.selectPolicy}`,
    ],
    [
      `${direction}.policies`,
      rules.policies.length > 0 || rules.selectPolicy === 'Disabled'
        ? undefined
        : 'must list at least one policy',
    ],
  ];
  rules.policies.forEach((policy, index) => {
    const path = `${direction}.policies.${index}`;
    checks.push([
      `${path}.type`,
      ['Pods', 'Percent'].includes(policy.type) ? undefined : `must be Pods or Percent; got ${policy.type}`,
    ]);
    checks.push([`${path}.value`, integerIn(policy.value, 1)]);
    checks.push([`${path}.periodSeconds`, integerIn(policy.periodSeconds, 1, 1_800)]);
  });
  return checks;
}

/**
 * Fills a behavior with the HPA defaults and checks every range.
 * @throws {ValidationError} Listing every out-of-range field.
 */
export function resolveBehavior(behavior: ScalingBehavior = {}): {
  readonly scaleUp: ResolvedScalingRules;
  readonly scaleDown: ResolvedScalingRules;
} {
  const scaleUp = resolveRules(behavior.scaleUp, DEFAULT_SCALE_UP_RULES);
  const scaleDown = resolveRules(behavior.scaleDown, DEFAULT_SCALE_DOWN_RULES);
  assertOptions('scaling behavior', [
    ...ruleChecks('scaleUp', scaleUp),
    ...ruleChecks('scaleDown', scaleDown),
  ]);
  return { scaleUp, scaleDown };
}
