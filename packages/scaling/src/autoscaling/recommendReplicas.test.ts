import { isValidationError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScalingBehavior } from './behavior.js';
import { recommendReplicas } from './recommendReplicas.js';
import type { ReplicaInput } from './recommendReplicas.js';
import type { ScalingHistory } from './scalingHistory.js';

const base = { maxReplicas: 100, now: 0 };
// Lifts the rate limits so a test can look at one rule alone.
const unlimited: ScalingBehavior = {
  scaleUp: { policies: [{ type: 'Percent', value: 10_000, periodSeconds: 15 }] },
  scaleDown: { stabilizationWindowSeconds: 0 },
};

/** Runs the same metrics every `stepSeconds`, feeding replicas and history forward. */
function run(input: Omit<ReplicaInput, 'now' | 'history'>, steps: number, stepSeconds: number): number[] {
  let history: ScalingHistory | undefined;
  let current = input.currentReplicas;
  const seen: number[] = [];
  for (let step = 0; step < steps; step++) {
    const result = recommendReplicas({
      ...input,
      currentReplicas: current,
      now: step * stepSeconds * 1_000,
      ...(history ? { history } : {}),
    });
    history = result.history;
    current = result.replicas;
    seen.push(current);
  }
  return seen;
}

describe('recommendReplicas (Kubernetes HPA docs, algorithm details)', () => {
  it('doubles the replicas when the metric is 200m against a 100m target', () => {
    const result = recommendReplicas({
      ...base,
      currentReplicas: 3,
      metrics: [{ current: 200, target: 100 }],
    });
    expect(result.replicas).toBe(6);
  });

  it('halves the replicas when the metric is 50m against a 100m target', () => {
    const result = recommendReplicas({
      ...base,
      currentReplicas: 4,
      metrics: [{ current: 50, target: 100 }],
    });
    expect(result.replicas).toBe(2);
  });

  it('skips scaling while the ratio is within the 0.1 tolerance', () => {
    for (const current of [91, 100, 110]) {
      expect(
        recommendReplicas({ ...base, currentReplicas: 5, metrics: [{ current, target: 100 }] }).replicas,
      ).toBe(5);
    }
    expect(
      recommendReplicas({ ...base, currentReplicas: 5, metrics: [{ current: 111, target: 100 }] }).replicas,
    ).toBe(6);
  });

  it('takes the largest recommendation when several metrics are given', () => {
    const result = recommendReplicas({
      ...base,
      currentReplicas: 4,
      behavior: unlimited,
      metrics: [
        { name: 'cpu', current: 50, target: 100 },
        { name: 'memory', current: 300, target: 100 },
        { name: 'rps', current: 120, target: 100 },
      ],
    });
    expect(result.perMetric.map((metric) => metric.replicas)).toEqual([2, 12, 5]);
    expect(result.replicas).toBe(12);
  });

  it('asks for ⌈total / target⌉ replicas for a total metric such as queue length', () => {
    const result = recommendReplicas({
      ...base,
      currentReplicas: 2,
      behavior: unlimited,
      metrics: [{ kind: 'total', current: 95, target: 10 }],
    });
    expect(result.replicas).toBe(10);
  });
});

describe('recommendReplicas (HPA walkthrough: 305% CPU against a 50% target on 1 replica)', () => {
  it('computes 7 replicas from the metric', () => {
    const result = recommendReplicas({
      currentReplicas: 1,
      maxReplicas: 10,
      now: 0,
      metrics: [{ current: 3.05, target: 0.5 }],
    });
    expect(result.metricReplicas).toBe(7);
  });

  it('first scales to 5 under the default scale-up policy of +4 pods or +100% per 15 s', () => {
    const result = recommendReplicas({
      currentReplicas: 1,
      maxReplicas: 10,
      now: 0,
      metrics: [{ current: 3.05, target: 0.5 }],
    });
    expect(result).toMatchObject({ replicas: 5, reason: 'ScaleUpLimit' });
  });
});

describe('recommendReplicas (HPA docs, scaling policies)', () => {
  const scaleDown: ScalingBehavior = {
    scaleDown: {
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 60 },
        { type: 'Percent', value: 10, periodSeconds: 60 },
      ],
    },
  };

  it('removes 8 of 80 replicas, then 8 of 72 (7.2 rounded up), then 4 at a time below 40', () => {
    const seen = run(
      { currentReplicas: 80, maxReplicas: 100, behavior: scaleDown, metrics: [{ current: 10, target: 80 }] },
      14,
      60,
    );
    expect(seen.slice(0, 2)).toEqual([72, 64]);
    const below40 = seen.filter((replicas) => replicas < 40);
    for (let i = 1; i < below40.length; i++) expect(below40[i - 1]! - below40[i]!).toBe(4);
  });

  it('allows no second step within the same 60 s period', () => {
    const seen = run(
      { currentReplicas: 80, maxReplicas: 100, behavior: scaleDown, metrics: [{ current: 10, target: 80 }] },
      4,
      15,
    );
    expect(seen).toEqual([72, 72, 72, 72]);
  });

  it('grows 1 → 10 → 100 → 1000 with a 900% scale-up policy', () => {
    const seen = run(
      {
        currentReplicas: 1,
        maxReplicas: 5_000,
        behavior: { scaleUp: { policies: [{ type: 'Percent', value: 900, periodSeconds: 60 }] } },
        metrics: [{ kind: 'total', current: 4_000, target: 1 }],
      },
      3,
      60,
    );
    expect(seen).toEqual([10, 100, 1_000]);
  });

  it('picks the smallest change with selectPolicy Min', () => {
    const result = recommendReplicas({
      ...base,
      currentReplicas: 10,
      behavior: { scaleUp: { selectPolicy: 'Min' } },
      metrics: [{ current: 300, target: 100 }],
    });
    expect(result.replicas).toBe(14);
  });

  it('never scales down with selectPolicy Disabled', () => {
    const seen = run(
      {
        currentReplicas: 10,
        maxReplicas: 20,
        behavior: { scaleDown: { selectPolicy: 'Disabled', stabilizationWindowSeconds: 0 } },
        metrics: [{ current: 1, target: 100 }],
      },
      5,
      60,
    );
    expect(seen).toEqual([10, 10, 10, 10, 10]);
  });
});

describe('recommendReplicas (stabilization windows)', () => {
  it('keeps the highest recommendation of the last 300 s before scaling down', () => {
    let history = recommendReplicas({
      ...base,
      currentReplicas: 10,
      metrics: [{ current: 100, target: 100 }],
    }).history;
    const at = (seconds: number) => {
      const result = recommendReplicas({
        ...base,
        now: seconds * 1_000,
        currentReplicas: 10,
        history,
        metrics: [{ current: 40, target: 100 }],
      });
      history = result.history;
      return result;
    };
    expect(at(60)).toMatchObject({ replicas: 10, reason: 'ScaleDownStabilized' });
    expect(at(299).replicas).toBe(10);
    expect(at(301).replicas).toBe(4);
  });

  it('scales up at once by default', () => {
    const result = recommendReplicas({
      ...base,
      currentReplicas: 4,
      metrics: [{ current: 150, target: 100 }],
    });
    expect(result.replicas).toBe(6);
  });

  it('uses the lowest recent recommendation when a scale-up window is set', () => {
    const behavior: ScalingBehavior = { scaleUp: { stabilizationWindowSeconds: 60 } };
    const first = recommendReplicas({
      ...base,
      currentReplicas: 4,
      behavior,
      metrics: [{ current: 100, target: 100 }],
    });
    const second = recommendReplicas({
      ...base,
      now: 30_000,
      currentReplicas: 4,
      behavior,
      history: first.history,
      metrics: [{ current: 200, target: 100 }],
    });
    expect(second).toMatchObject({ replicas: 4, reason: 'ScaleUpStabilized' });
    const third = recommendReplicas({
      ...base,
      now: 61_000,
      currentReplicas: 4,
      behavior,
      history: second.history,
      metrics: [{ current: 200, target: 100 }],
    });
    expect(third.replicas).toBe(8);
  });
});

describe('recommendReplicas (bounds and validation)', () => {
  it('brings a count above maxReplicas down to it', () => {
    const result = recommendReplicas({
      currentReplicas: 12,
      maxReplicas: 10,
      now: 0,
      metrics: [{ current: 100, target: 100 }],
    });
    expect(result).toMatchObject({ replicas: 10, reason: 'AboveMaxReplicas' });
  });

  it('brings a count below minReplicas up to it', () => {
    const result = recommendReplicas({
      currentReplicas: 1,
      minReplicas: 3,
      maxReplicas: 10,
      now: 0,
      metrics: [{ current: 1, target: 100 }],
    });
    expect(result).toMatchObject({ replicas: 3, reason: 'BelowMinReplicas' });
  });

  it('treats zero current replicas as autoscaling turned off', () => {
    const result = recommendReplicas({
      currentReplicas: 0,
      maxReplicas: 10,
      now: 0,
      metrics: [{ current: 500, target: 100 }],
    });
    expect(result).toMatchObject({ replicas: 0, reason: 'ScalingDisabled' });
  });

  it('always stays within [minReplicas, maxReplicas]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: 0, max: 1_000, noNaN: true }),
        (current, spread, value) => {
          const result = recommendReplicas({
            currentReplicas: current,
            minReplicas: 2,
            maxReplicas: 2 + spread,
            now: 0,
            metrics: [{ current: value, target: 50 }],
          });
          return result.replicas >= 2 && result.replicas <= 2 + spread;
        },
      ),
      { seed: 13, numRuns: 300 },
    );
  });

  it('lists every invalid field in one validation error', () => {
    expect.assertions(2);
    try {
      recommendReplicas({
        currentReplicas: -1,
        maxReplicas: 10,
        now: 0,
        metrics: [{ current: 1, target: 0 }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 4_000 } },
      });
    } catch (error) {
      expect(isValidationError(error)).toBe(true);
      expect((error as { issues: unknown[] }).issues).toHaveLength(3);
    }
  });

  it('rejects a behavior with an invalid policy period', () => {
    expect(() =>
      recommendReplicas({
        ...base,
        currentReplicas: 1,
        metrics: [{ current: 1, target: 1 }],
        behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 0 }] } },
      }),
    ).toThrow(/periodSeconds/);
  });
});
