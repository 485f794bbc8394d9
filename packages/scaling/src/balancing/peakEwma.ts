import { pickTwo } from '../internal/pickTwo.js';
import type { EndpointView } from './endpoint.js';
import type { BalancingStrategy } from './strategy.js';

// Finagle's penalty for an endpoint with requests in flight but no latency yet: avoid it.
const PENALTY = 2 ** 40;

function cost(endpoint: EndpointView): number {
  const latency = endpoint.latencyMs();
  const load =
    latency === 0 && endpoint.inFlight > 0 ? PENALTY + endpoint.inFlight : latency * (endpoint.inFlight + 1);
  return load / endpoint.weight;
}

/**
 * Power of two choices with peak-EWMA latency (Finagle, Linkerd): samples two endpoints and
 * sends the request to the lower cost, where cost = EWMA latency × (in-flight + 1) / weight.
 * The latency estimate jumps up at once on a slow response and decays back over the
 * balancer's `latencyDecayMs`, so slow endpoints shed traffic quickly and are retried later.
 *
 * @example
 * ```ts
 * const lb = new LoadBalancer(endpoints, { strategy: peakEwma() }); // also the default
 * ```
 */
export function peakEwma(): BalancingStrategy {
  return {
    name: 'p2c-peak-ewma',
    pick: (candidates, { random }) => pickTwo(candidates, random, cost),
  };
}
