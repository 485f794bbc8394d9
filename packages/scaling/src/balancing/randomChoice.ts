import type { BalancingStrategy } from './strategy.js';

/**
 * Random choice, weighted: an endpoint of weight 2 is picked twice as often as one of
 * weight 1. Uses the balancer's `random` source, so it is reproducible with a seeded one.
 *
 * @example
 * ```ts
 * const lb = new LoadBalancer(endpoints, { strategy: randomChoice(), random: seeded });
 * ```
 */
export function randomChoice(): BalancingStrategy {
  return {
    name: 'random',
    pick(candidates, { random }) {
      let total = 0;
      for (const candidate of candidates) total += candidate.weight;
      let point = random() * total;
      for (const candidate of candidates) {
        point -= candidate.weight;
        if (point < 0) return candidate;
      }
      return candidates[candidates.length - 1];
    },
  };
}
