import { pickTwo } from '../internal/pickTwo.js';
import type { BalancingStrategy } from './strategy.js';

/**
 * Least connections by the power of two choices: samples two endpoints at random and sends the
 * request to the one with fewer requests in flight per unit of weight. Nearly as good as
 * scanning every endpoint, O(1), and avoids the herd that "always the least loaded" causes.
 *
 * @example
 * ```ts
 * const lb = new LoadBalancer(endpoints, { strategy: leastConnections() });
 * ```
 */
export function leastConnections(): BalancingStrategy {
  return {
    name: 'p2c-least-connections',
    pick: (candidates, { random }) =>
      pickTwo(candidates, random, (candidate) => candidate.inFlight / candidate.weight),
  };
}
