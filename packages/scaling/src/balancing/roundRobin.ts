import type { BalancingStrategy } from './strategy.js';

/**
 * Round robin: each request goes to the next endpoint in rotation, ignoring weights and load.
 * Simple and fair for identical backends; blind to slow ones.
 *
 * @example
 * ```ts
 * const lb = new LoadBalancer(endpoints, { strategy: roundRobin() });
 * ```
 */
export function roundRobin(): BalancingStrategy {
  let cursor = 0;
  return {
    name: 'round-robin',
    pick(candidates) {
      const chosen = candidates[cursor % candidates.length];
      cursor = (cursor + 1) % 1_000_000_007;
      return chosen;
    },
  };
}
