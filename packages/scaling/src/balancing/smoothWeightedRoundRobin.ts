import type { BalancingStrategy } from './strategy.js';

/**
 * Smooth weighted round robin, as in nginx: every pick adds each endpoint's weight to its
 * current score, takes the highest score and subtracts the total weight from it. Weights
 * 5:1:1 give `a a b a c a a` — proportional and interleaved rather than in bursts.
 *
 * @example
 * ```ts
 * const lb = new LoadBalancer([{ id: 'a', value: a, weight: 5 }, …], { strategy: smoothWeightedRoundRobin() });
 * ```
 */
export function smoothWeightedRoundRobin(): BalancingStrategy {
  const current = new Map<string, number>();
  return {
    name: 'smooth-weighted-round-robin',
    pick(candidates) {
      let total = 0;
      let best: (typeof candidates)[number] | undefined;
      let bestScore = -Infinity;
      for (const candidate of candidates) {
        const score = (current.get(candidate.id) ?? 0) + candidate.weight;
        current.set(candidate.id, score);
        total += candidate.weight;
        if (score > bestScore) {
          bestScore = score;
          best = candidate;
        }
      }
      if (best !== undefined) current.set(best.id, bestScore - total);
      return best;
    },
    onEndpointsChanged(endpoints) {
      const ids = new Set(endpoints.map((endpoint) => endpoint.id));
      for (const id of current.keys()) if (!ids.has(id)) current.delete(id);
    },
  };
}
