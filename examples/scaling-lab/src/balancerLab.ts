import { leastConnections, peakEwma, randomChoice, roundRobin, simulateLoadBalancing } from '@keel/scaling';
import type { BalancingStrategy, SimulatedBackend, SimulationResult } from '@keel/scaling';

/**
 * Five backends: three healthy, one slow (6× the latency) and one failing half of its requests
 * fast, the classic trap for "least loaded" balancers without outlier detection.
 */
export const BACKENDS: readonly SimulatedBackend[] = [
  { id: 'api-1', meanLatencyMs: 20 },
  { id: 'api-2', meanLatencyMs: 20 },
  { id: 'api-3', meanLatencyMs: 20 },
  { id: 'api-slow', meanLatencyMs: 120 },
  { id: 'api-failing', meanLatencyMs: 20, failureRate: 0.5, failureLatencyMs: 2 },
];

const STRATEGIES: readonly (() => BalancingStrategy)[] = [
  roundRobin,
  randomChoice,
  leastConnections,
  peakEwma,
];

/** Runs the same seeded traffic (4,000 requests at 200/s) through each strategy. */
export function runBalancerLab(seed = 42): SimulationResult[] {
  return STRATEGIES.map((strategy) =>
    simulateLoadBalancing(strategy, { backends: BACKENDS, requests: 4_000, arrivalsPerSecond: 200, seed }),
  );
}
