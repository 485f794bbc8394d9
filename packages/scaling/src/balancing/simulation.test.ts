import { describe, expect, it } from 'vitest';
import { leastConnections } from './leastConnections.js';
import { peakEwma } from './peakEwma.js';
import { roundRobin } from './roundRobin.js';
import { simulateLoadBalancing } from './simulation.js';
import type { SimulationOptions } from './simulation.js';

const scenario: SimulationOptions = {
  backends: [
    { id: 'a', meanLatencyMs: 20 },
    { id: 'b', meanLatencyMs: 20 },
    { id: 'c', meanLatencyMs: 20 },
    { id: 'slow', meanLatencyMs: 120 },
    { id: 'failing', meanLatencyMs: 20, failureRate: 0.5, failureLatencyMs: 2 },
  ],
  requests: 4_000,
  arrivalsPerSecond: 200,
  seed: 42,
};

describe('simulateLoadBalancing', () => {
  it('shows P2C with peak EWMA keeping p99 latency far below round robin with a slow and a failing backend', () => {
    const rr = simulateLoadBalancing(roundRobin, scenario);
    const ewma = simulateLoadBalancing(peakEwma, scenario);
    expect(ewma.p99).toBeLessThan(rr.p99 / 3);
    expect(ewma.backends.find((b) => b.id === 'slow')!.share).toBeLessThan(0.05);
  });

  it('keeps the failing backend’s failures low through outlier ejection', () => {
    const ewma = simulateLoadBalancing(peakEwma, scenario);
    expect(ewma.failures).toBeLessThan(40);
    expect(ewma.requests).toBe(4_000);
  });

  it('reports the same result for the same seed', () => {
    expect(simulateLoadBalancing(leastConnections, scenario).p99).toBe(
      simulateLoadBalancing(leastConnections, scenario).p99,
    );
  });

  it('returns latencies in ascending order with p50 ≤ p90 ≤ p99 ≤ max', () => {
    const result = simulateLoadBalancing(roundRobin, { ...scenario, requests: 500 });
    expect([...result.latencies].sort((a, b) => a - b)).toEqual(result.latencies);
    expect(result.p50).toBeLessThanOrEqual(result.p90);
    expect(result.p90).toBeLessThanOrEqual(result.p99);
    expect(result.p99).toBeLessThanOrEqual(result.max);
  });

  it('rejects a simulation without backends', () => {
    expect(() => simulateLoadBalancing(roundRobin, { backends: [] })).toThrow(/backends/);
  });
});
