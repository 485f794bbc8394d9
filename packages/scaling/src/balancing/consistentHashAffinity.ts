import { assertOptions, optionInteger, optionNumber, withDefaults } from '@keel/core';
import { HASH_RING_LIMITS, HashRing } from '../hashing/hashRing.js';
import { pickTwo } from '../internal/pickTwo.js';
import type { EndpointView } from './endpoint.js';
import type { BalancingStrategy } from './strategy.js';

/** Options of {@link consistentHashAffinity}. */
export interface ConsistentHashAffinityOptions {
  /**
   * Load slack ε: no endpoint takes a request while it already holds ⌈(1 + ε) × average⌉
   * requests in flight; the request walks on along the ring instead. Smaller is more even but
   * moves more keys off their home endpoint under load.
   * @default 0.25
   */
  epsilon?: number | undefined;
  /** Ring points per unit of endpoint weight, from 1 to 100_000 (see `HashRing`). @default 160 */
  virtualNodes?: number | undefined;
}

/** The defaults of {@link ConsistentHashAffinityOptions}. */
export const CONSISTENT_HASH_AFFINITY_DEFAULTS = Object.freeze({ epsilon: 0.25, virtualNodes: 160 });

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam; as in HAProxy and
 * Envoy): requests with the same `key` go to the same endpoint — good for caches and sticky
 * sessions — unless that endpoint is above (1 + ε) × the average in-flight load, in which case
 * the request goes to the next endpoint clockwise on the ring that has room. Weights shape the
 * ring (a heavier endpoint owns more keys) but the load bound uses the unweighted average.
 * Requests without a key use power-of-two-choices least connections.
 *
 * @throws {ValidationError} When `epsilon` is not from 0 to 1000 or `virtualNodes` is out of range.
 *
 * @example
 * ```ts
 * const lb = new LoadBalancer(caches, { strategy: consistentHashAffinity({ epsilon: 0.25 }) });
 * await lb.execute((cache) => cache.get(userId), { key: userId });
 * ```
 */
export function consistentHashAffinity(options: ConsistentHashAffinityOptions = {}): BalancingStrategy {
  const { epsilon, virtualNodes } = withDefaults(CONSISTENT_HASH_AFFINITY_DEFAULTS, options);
  assertOptions('consistentHashAffinity', {
    epsilon: optionNumber(epsilon, { min: 0, max: 1_000 }),
    virtualNodes: optionInteger(virtualNodes, { min: 1, max: HASH_RING_LIMITS.maxVirtualNodes }),
  });
  let ring = new HashRing([], { virtualNodes });
  return {
    name: 'consistent-hash-bounded',
    pick(candidates, { key, random }) {
      if (key === undefined)
        return pickTwo(candidates, random, (candidate) => candidate.inFlight / candidate.weight);
      const byId = new Map<string, EndpointView>(candidates.map((candidate) => [candidate.id, candidate]));
      let total = 0;
      for (const candidate of candidates) total += candidate.inFlight;
      const capacity = Math.ceil(((1 + epsilon) * (total + 1)) / candidates.length);
      for (const id of ring.walk(key)) {
        const candidate = byId.get(id);
        if (candidate !== undefined && candidate.inFlight < capacity) return candidate;
      }
      return undefined;
    },
    onEndpointsChanged(endpoints) {
      ring = new HashRing(
        endpoints.map((endpoint) => ({ id: endpoint.id, weight: endpoint.weight })),
        { virtualNodes },
      );
    },
  };
}
