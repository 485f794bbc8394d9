import { assertOptions, describeValue, optionInteger, optionOneOf, withDefaults } from '@keel/core';
import type { Defined, OptionProblem } from '@keel/core';

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
  readonly stabilizationWindowSeconds?: number | undefined;
  /** @default 'Max' */
  readonly selectPolicy?: SelectPolicy | undefined;
  /**
   * Rate limits. @default scale-up: 100% or 4 pods per 15 s (whichever is more); scale-down:
   * 100% per 15 s
   */
  readonly policies?: readonly ScalingPolicy[] | undefined;
}

/** Scale-up and scale-down rules, as in the HPA `behavior` field. */
export interface ScalingBehavior {
  readonly scaleUp?: ScalingRules | undefined;
  readonly scaleDown?: ScalingRules | undefined;
}

/** Rules with every field filled in. */
export type ResolvedScalingRules = Readonly<Defined<ScalingRules>>;

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

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function objectProblem(value: unknown, kind: string): OptionProblem {
  return value === undefined || isObject(value)
    ? undefined
    : `must be ${kind} (got ${describeValue(value)}).`;
}

function resolveRules(rules: unknown, defaults: ResolvedScalingRules): ResolvedScalingRules {
  return Object.freeze(withDefaults(defaults, isObject(rules) ? (rules as ScalingRules) : undefined));
}

function ruleChecks(
  direction: string,
  given: unknown,
  rules: ResolvedScalingRules,
  checks: Record<string, OptionProblem>,
): void {
  checks[direction] = objectProblem(
    given,
    'scaling rules (stabilizationWindowSeconds, selectPolicy, policies)',
  );
  checks[`${direction}.stabilizationWindowSeconds`] = optionInteger(rules.stabilizationWindowSeconds, {
    min: 0,
    max: 3_600,
  });
  checks[`${direction}.selectPolicy`] = optionOneOf(rules.selectPolicy, ['Max', 'Min', 'Disabled']);
  if (!Array.isArray(rules.policies)) {
    checks[`${direction}.policies`] =
      `must be an array of scaling policies (got ${describeValue(rules.policies)}).`;
    return;
  }
  if (rules.policies.length === 0 && rules.selectPolicy !== 'Disabled')
    checks[`${direction}.policies`] = 'must list at least one policy (or set selectPolicy to Disabled).';
  rules.policies.forEach((policy: unknown, index) => {
    const path = `${direction}.policies.${index}`;
    if (!isObject(policy)) {
      checks[path] =
        `must be a scaling policy { type, value, periodSeconds } (got ${describeValue(policy)}).`;
      return;
    }
    checks[`${path}.type`] = optionOneOf(policy['type'], ['Pods', 'Percent'], true);
    checks[`${path}.value`] = optionInteger(policy['value'], { min: 1, required: true });
    checks[`${path}.periodSeconds`] = optionInteger(policy['periodSeconds'], {
      min: 1,
      max: 1_800,
      required: true,
    });
  });
}

/** Resolved scale-up and scale-down rules. */
export interface ResolvedBehavior {
  readonly scaleUp: ResolvedScalingRules;
  readonly scaleDown: ResolvedScalingRules;
}

/**
 * Fills a behavior with the HPA defaults (a field left out or `undefined` keeps its default)
 * and returns the checks of every field, under `behavior.`, for the caller's `assertOptions`.
 */
export function behaviorSettings(behavior: unknown): {
  readonly rules: ResolvedBehavior;
  readonly checks: Record<string, OptionProblem>;
} {
  const fields = isObject(behavior) ? behavior : {};
  const scaleUp = resolveRules(fields['scaleUp'], DEFAULT_SCALE_UP_RULES);
  const scaleDown = resolveRules(fields['scaleDown'], DEFAULT_SCALE_DOWN_RULES);
  const checks: Record<string, OptionProblem> = {
    behavior: objectProblem(behavior, 'a scaling behavior { scaleUp?, scaleDown? }'),
  };
  ruleChecks('behavior.scaleUp', fields['scaleUp'], scaleUp, checks);
  ruleChecks('behavior.scaleDown', fields['scaleDown'], scaleDown, checks);
  return { rules: { scaleUp, scaleDown }, checks };
}

/**
 * Fills a behavior with the HPA defaults and checks every range.
 * @throws {ValidationError} Listing every out-of-range field.
 */
export function resolveBehavior(behavior?: ScalingBehavior): ResolvedBehavior {
  const { rules, checks } = behaviorSettings(behavior);
  assertOptions('scaling behavior', checks);
  return rules;
}
