import { ManualClock, seededRandom } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistentHashAffinity } from './consistentHashAffinity.js';
import { leastConnections } from './leastConnections.js';
import { LoadBalancer } from './loadBalancer.js';
import type { LoadBalancerOptions } from './loadBalancerOptions.js';
import { peakEwma } from './peakEwma.js';
import { randomChoice } from './randomChoice.js';
import { roundRobin } from './roundRobin.js';
import { smoothWeightedRoundRobin } from './smoothWeightedRoundRobin.js';

const endpoints = (...ids: string[]) => ids.map((id) => ({ id, value: id }));

function picks(lb: LoadBalancer<string>, count: number, key?: string): string[] {
  return Array.from({ length: count }, () => {
    const lease = lb.acquire(key === undefined ? {} : { key });
    lease.release();
    return lease.endpoint.id;
  });
}

const quiet: LoadBalancerOptions = { outlierDetection: false, random: seededRandom(1) };

describe('roundRobin', () => {
  it('cycles through the endpoints in order', () => {
    const lb = new LoadBalancer(endpoints('a', 'b', 'c'), { ...quiet, strategy: roundRobin() });
    expect(picks(lb, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });
});

describe('randomChoice', () => {
  it('picks endpoints in proportion to their weights', () => {
    const lb = new LoadBalancer([{ id: 'a', value: 'a', weight: 3 }, ...endpoints('b')], {
      ...quiet,
      strategy: randomChoice(),
    });
    const share = picks(lb, 4_000).filter((id) => id === 'a').length / 4_000;
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.78);
  });

  it('repeats the same sequence with the same seed', () => {
    const run = () =>
      picks(
        new LoadBalancer(endpoints('a', 'b', 'c'), {
          ...quiet,
          random: seededRandom(9),
          strategy: randomChoice(),
        }),
        20,
      );
    expect(run()).toEqual(run());
  });
});

describe('smoothWeightedRoundRobin', () => {
  it('interleaves weights 5:1:1 as nginx does', () => {
    const lb = new LoadBalancer(
      [
        { id: 'a', value: 'a', weight: 5 },
        { id: 'b', value: 'b', weight: 1 },
        { id: 'c', value: 'c', weight: 1 },
      ],
      { ...quiet, strategy: smoothWeightedRoundRobin() },
    );
    expect(picks(lb, 7)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('gives exact proportions over each full cycle', () => {
    const lb = new LoadBalancer(
      [
        { id: 'a', value: 'a', weight: 2 },
        { id: 'b', value: 'b', weight: 3 },
      ],
      { ...quiet, strategy: smoothWeightedRoundRobin() },
    );
    const chosen = picks(lb, 50);
    expect(chosen.filter((id) => id === 'b')).toHaveLength(30);
  });
});

describe('leastConnections', () => {
  it('sends a request to the endpoint with fewer in flight when there are two', () => {
    const lb = new LoadBalancer(endpoints('a', 'b'), { ...quiet, strategy: leastConnections() });
    const held = [lb.acquire(), lb.acquire(), lb.acquire()];
    const counts = lb.stats().map((s) => s.inFlight);
    expect(Math.abs(counts[0]! - counts[1]!)).toBe(1);
    held.forEach((lease) => lease.release());
  });
});

describe('peakEwma', () => {
  it('avoids an endpoint right after it answered slowly', () => {
    const clock = new ManualClock();
    const lb = new LoadBalancer(endpoints('a', 'b'), { ...quiet, clock, strategy: peakEwma() });
    const slow = lb.acquire();
    const fast = lb.acquire();
    clock.advance(10);
    fast.success();
    clock.advance(490);
    slow.success();
    const other = fast.endpoint.id;
    expect(picks(lb, 20).every((id) => id === other)).toBe(true);
  });

  it('tries the slow endpoint again once its estimate has decayed below the busy one', () => {
    const clock = new ManualClock();
    const lb = new LoadBalancer(endpoints('a', 'b'), {
      ...quiet,
      clock,
      strategy: peakEwma(),
      latencyDecayMs: 1_000,
    });
    const slow = lb.acquire();
    clock.advance(500);
    slow.success();
    // Steady 20 ms traffic keeps the fast endpoint's estimate near 20 ms while the idle slow one decays.
    const chosen: { at: number; id: string }[] = [];
    for (let step = 0; step < 100; step++) {
      const lease = lb.acquire();
      chosen.push({ at: clock.now(), id: lease.endpoint.id });
      clock.advance(20);
      lease.success();
      clock.advance(80);
    }
    const firstRetry = chosen.find((pick) => pick.id === slow.endpoint.id);
    expect(firstRetry).toBeDefined();
    // 500 ms decays below 20 ms after ln(25) ≈ 3.2 time constants.
    expect(firstRetry!.at).toBeGreaterThan(3_000);
  });
});

describe('consistentHashAffinity', () => {
  it('sends the same key to the same endpoint when loads are even', () => {
    const lb = new LoadBalancer(endpoints('a', 'b', 'c', 'd'), {
      ...quiet,
      strategy: consistentHashAffinity(),
    });
    const first = picks(lb, 1, 'user-1')[0];
    expect(picks(lb, 10, 'user-1').every((id) => id === first)).toBe(true);
  });

  it('never lets an endpoint exceed (1 + ε) × the average in flight', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('hot', 'k1', 'k2', 'k3'), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(0.1, 0.25, 1),
        (keys, epsilon) => {
          const lb = new LoadBalancer(endpoints('a', 'b', 'c', 'd', 'e'), {
            ...quiet,
            strategy: consistentHashAffinity({ epsilon }),
          });
          keys.forEach((key) => lb.acquire({ key }));
          const bound = Math.ceil(((1 + epsilon) * keys.length) / 5);
          for (const s of lb.stats()) expect(s.inFlight).toBeLessThanOrEqual(bound);
        },
      ),
      { seed: 17, numRuns: 100 },
    );
  });

  it('spills a hot key to the next endpoints on the ring', () => {
    const lb = new LoadBalancer(endpoints('a', 'b', 'c', 'd'), {
      ...quiet,
      strategy: consistentHashAffinity({ epsilon: 0 }),
    });
    for (let i = 0; i < 8; i++) lb.acquire({ key: 'hot' });
    expect(lb.stats().map((s) => s.inFlight)).toEqual([2, 2, 2, 2]);
  });

  it('refuses to add an endpoint that would overgrow the ring, and changes nothing', () => {
    const lb = new LoadBalancer(endpoints('a', 'b'), { ...quiet, strategy: consistentHashAffinity() });
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    const before = keys.map((key) => picks(lb, 1, key)[0]);
    expect(() => lb.add({ id: 'c', value: 'c', weight: 1e6 })).toThrow(/points/);
    expect(lb.size).toBe(2);
    expect(lb.endpoints().map((e) => e.id)).toEqual(['a', 'b']);
    expect(keys.map((key) => picks(lb, 1, key)[0])).toEqual(before);
  });

  it('refuses to add back a draining endpoint with a weight that would overgrow the ring, leaving it draining', () => {
    const lb = new LoadBalancer(endpoints('a', 'b'), { ...quiet, strategy: consistentHashAffinity() });
    const lease = lb.acquire({ key: 'k' });
    lb.remove(lease.endpoint.id);
    expect(() => lb.add({ id: lease.endpoint.id, value: 'other', weight: 1e6 })).toThrow(/points/);
    expect(lb.size).toBe(1);
    expect(lb.stats()[1]).toMatchObject({ id: lease.endpoint.id, weight: 1, draining: true, inFlight: 1 });
    expect(lease.endpoint.value).toBe(lease.endpoint.id);
  });

  it('refuses to update an endpoint to a weight that would overgrow the ring, and changes nothing', () => {
    const lb = new LoadBalancer(endpoints('a', 'b'), { ...quiet, strategy: consistentHashAffinity() });
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    const before = keys.map((key) => picks(lb, 1, key)[0]);
    expect(() => lb.update({ id: 'a', value: 'a2', weight: 1e6 })).toThrow(/points/);
    expect(lb.endpoints().map((e) => [e.id, e.value, e.weight])).toEqual([
      ['a', 'a', 1],
      ['b', 'b', 1],
    ]);
    expect(keys.map((key) => picks(lb, 1, key)[0])).toEqual(before);
  });

  it('moves only the removed endpoint’s keys when an endpoint leaves', () => {
    const lb = new LoadBalancer(endpoints('a', 'b', 'c', 'd'), {
      ...quiet,
      strategy: consistentHashAffinity(),
    });
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    const before = keys.map((key) => picks(lb, 1, key)[0]);
    lb.remove('b');
    keys.forEach((key, index) => {
      if (before[index] !== 'b') expect(picks(lb, 1, key)[0]).toBe(before[index]);
    });
  });
});
