import { ManualClock, seededRandom } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { LoadBalancer } from './loadBalancer.js';
import type { EjectedEvent, LoadBalancerOptions } from './loadBalancerOptions.js';
import { roundRobin } from './roundRobin.js';

const endpoints = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `e${i}`, value: i }));

function setup(count: number, extra: Partial<LoadBalancerOptions> = {}) {
  const clock = new ManualClock();
  const lb = new LoadBalancer(endpoints(count), {
    clock,
    random: seededRandom(1),
    strategy: roundRobin(),
    ...extra,
  });
  const ejected: EjectedEvent[] = [];
  lb.onEjected((event) => ejected.push(event));
  /** Sends `n` requests to endpoint `id` (bypassing the strategy by picking until it comes up). */
  const send = (id: string, n: number, ok: boolean) => {
    for (let sent = 0; sent < n;) {
      const lease = lb.acquire();
      if (lease.endpoint.id !== id) {
        lease.release();
        continue;
      }
      if (ok) lease.success();
      else lease.failure();
      sent++;
    }
  };
  return { clock, lb, ejected, send };
}

describe('outlier detection', () => {
  it('ejects an endpoint after five consecutive failures', () => {
    const { lb, ejected, send } = setup(4);
    send('e1', 4, false);
    expect(ejected).toHaveLength(0);
    send('e1', 1, false);
    expect(ejected).toEqual([{ id: 'e1', reason: 'consecutive-failures', until: 30_000, ejections: 1 }]);
    expect(lb.stats()[1]).toMatchObject({ ejected: true });
  });

  it('does not route to an ejected endpoint', () => {
    const { lb, send } = setup(3);
    send('e0', 5, false);
    const ids = Array.from({ length: 10 }, () => {
      const lease = lb.acquire();
      lease.release();
      return lease.endpoint.id;
    });
    expect(ids).not.toContain('e0');
  });

  it('ejects on the failure rate once enough requests were seen in the interval', () => {
    const { ejected, send } = setup(4, {
      outlierDetection: { minimumRequests: 10, failureRateThreshold: 0.5 },
    });
    for (let i = 0; i < 4; i++) {
      send('e2', 1, true);
      send('e2', 1, false);
    }
    expect(ejected).toHaveLength(0);
    send('e2', 1, true);
    send('e2', 1, false);
    expect(ejected[0]).toMatchObject({ id: 'e2', reason: 'failure-rate' });
  });

  it('brings an endpoint back when its ejection time is over', () => {
    const { clock, lb, send } = setup(4);
    const restored: string[] = [];
    lb.onRestored(({ id }) => restored.push(id));
    send('e0', 5, false);
    clock.advance(29_999);
    expect(lb.stats()[0]!.ejected).toBe(true);
    clock.advance(1);
    expect(lb.stats()[0]!.ejected).toBe(false);
    expect(restored).toEqual(['e0']);
  });

  it('ejects for longer each time an endpoint is ejected again soon after', () => {
    const { clock, ejected, send } = setup(4);
    send('e0', 5, false);
    clock.advance(30_000);
    send('e0', 5, false);
    expect(ejected.map((event) => event.until - (event === ejected[0] ? 0 : 30_000))).toEqual([
      30_000, 60_000,
    ]);
  });

  it('caps the ejection time at maxEjectionMs', () => {
    const { clock, ejected, send } = setup(4, {
      outlierDetection: { baseEjectionMs: 1_000, maxEjectionMs: 2_500 },
    });
    for (let round = 0; round < 4; round++) {
      send('e0', 5, false);
      clock.advance(2_500);
    }
    expect(ejected.map((event) => event.until - ejected.indexOf(event) * 2_500)).toEqual([
      1_000, 2_000, 2_500, 2_500,
    ]);
  });

  it('shortens the next ejection after the endpoint stayed healthy for whole intervals', () => {
    const { clock, ejected, send } = setup(4);
    send('e0', 5, false);
    clock.advance(30_000);
    send('e0', 5, false); // second ejection: 60 s
    clock.advance(60_000 + 10_000); // one healthy interval after it ended
    send('e0', 5, false);
    expect(ejected[2]!.ejections).toBe(2);
  });

  it('never ejects more than the allowed fraction of endpoints', () => {
    const { lb, ejected, send } = setup(10, { outlierDetection: { maxEjectedFraction: 0.2 } });
    for (const id of ['e0', 'e1', 'e2', 'e3']) send(id, 5, false);
    expect(ejected.map((event) => event.id)).toEqual(['e0', 'e1']);
    expect(lb.stats().filter((s) => s.ejected)).toHaveLength(2);
  });

  it('always allows one ejection but never ejects the last endpoint in rotation', () => {
    const { ejected, send } = setup(2, { outlierDetection: { maxEjectedFraction: 1 } });
    send('e0', 5, false);
    send('e1', 5, false);
    expect(ejected.map((event) => event.id)).toEqual(['e0']);
  });

  it('brings the last endpoint back into rotation when the healthy one is removed', () => {
    const { lb, send } = setup(2);
    const restored: string[] = [];
    lb.onRestored(({ id }) => restored.push(id));
    send('e0', 5, false);
    expect(lb.stats()[0]!.ejected).toBe(true);
    lb.remove('e1');
    expect(restored).toEqual(['e0']);
    expect(lb.stats()).toMatchObject([{ id: 'e0', ejected: false }]);
    expect(lb.acquire().endpoint.id).toBe('e0');
  });

  it('keeps at most maxEjectedFraction of the endpoints left ejected, restoring those due back first', () => {
    const { clock, lb, ejected, send } = setup(4, { outlierDetection: { maxEjectedFraction: 0.5 } });
    const restored: string[] = [];
    lb.onRestored(({ id }) => restored.push(id));
    send('e0', 5, false);
    clock.advance(1_000);
    send('e1', 5, false);
    expect(ejected.map((event) => event.id)).toEqual(['e0', 'e1']);
    lb.remove('e2');
    lb.remove('e3');
    // Two endpoints left allow one ejection: e0, due back first, returns; e1 stays out.
    expect(restored).toEqual(['e0']);
    expect(lb.stats().map((s) => [s.id, s.ejected])).toEqual([
      ['e0', false],
      ['e1', true],
    ]);
    const picked = Array.from({ length: 4 }, () => {
      const lease = lb.acquire();
      lease.release();
      return lease.endpoint.id;
    });
    expect(picked).toEqual(['e0', 'e0', 'e0', 'e0']);
  });

  it('brings a draining ejected endpoint into rotation when it is added back alone', () => {
    const { lb, send } = setup(2);
    // Round robin leases one request on each endpoint; the one on e0 stays in flight.
    const leases = [lb.acquire(), lb.acquire()];
    leases.find((lease) => lease.endpoint.id === 'e1')!.release();
    send('e0', 5, false);
    lb.remove('e0'); // still ejected, and draining while its first request is in flight
    lb.remove('e1');
    lb.add({ id: 'e0', value: 0 });
    expect(lb.stats()).toMatchObject([{ id: 'e0', ejected: false, inFlight: 1 }]);
    expect(lb.acquire().endpoint.id).toBe('e0');
  });

  it('never ejects when outlier detection is off', () => {
    const { ejected, send } = setup(2, { outlierDetection: false });
    send('e0', 50, false);
    expect(ejected).toHaveLength(0);
  });

  it('rejects a failure-rate threshold above 1', () => {
    expect(() => new LoadBalancer(endpoints(1), { outlierDetection: { failureRateThreshold: 2 } })).toThrow(
      /failureRateThreshold/,
    );
  });
});
