import { describe, expectTypeOf, it } from 'vitest';
import type { ScalingPolicy, SelectPolicy } from './behavior.js';
import { recommendReplicas } from './recommendReplicas.js';
import type { RecommendationReason } from './recommendReplicas.js';

describe('recommendReplicas types', () => {
  it('accepts only the HPA policy types and select policies', () => {
    expectTypeOf<ScalingPolicy['type']>().toEqualTypeOf<'Pods' | 'Percent'>();
    expectTypeOf<SelectPolicy>().toEqualTypeOf<'Max' | 'Min' | 'Disabled'>();
  });

  it('returns a numeric replica count and a typed reason', () => {
    const result = recommendReplicas({
      currentReplicas: 1,
      maxReplicas: 2,
      now: 0,
      metrics: [{ current: 1, target: 1 }],
    });
    expectTypeOf(result.replicas).toEqualTypeOf<number>();
    expectTypeOf(result.reason).toEqualTypeOf<RecommendationReason>();
  });
});
