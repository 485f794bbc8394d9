import { isNotFoundError, isValidationError, ManualClock, seededRandom } from '@keel/core';
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isNoEndpointAvailableError } from './balancingErrors.js';
import { LoadBalancer } from './loadBalancer.js';
import { roundRobin } from './roundRobin.js';

const endpoints = (...ids: string[]) => ids.map((id) => ({ id, value: id }));
const options = (clock = new ManualClock()) => ({ clock, random: seededRandom(3), strategy: roundRobin() });

describe('LoadBalancer', () => {
  it('counts a request as in flight while execute runs and records its latency', async () => {
    const clock = new ManualClock();
    const lb = new LoadBalancer(endpoints('a'), options(clock));
    let seen = -1;
    const run = lb.execute(async (_value, { signal }) => {
      seen = lb.inFlight;
      await clock.sleep(40, signal);
      return 'done';
    });
    await clock.tickAsync(40);
    await expect(run).resolves.toBe('done');
    expect(seen).toBe(1);
    expect(lb.inFlight).toBe(0);
    expect(lb.stats()[0]).toMatchObject({ requests: 1, failures: 0, latencyMs: 40 });
  });

  it('keeps exact in-flight counts across many concurrent calls, removals and re-adds', async () => {
    const clock = new ManualClock();
    const lb = new LoadBalancer(endpoints('a', 'b', 'c'), options(clock));
    const random = seededRandom(5);
    const calls = Array.from({ length: 30 }, (_, index) =>
      lb.execute((_value, { signal }) =>
        clock.sleep(10 + Math.floor(random() * 90), signal).then(() => index),
      ),
    );
    expect(lb.inFlight).toBe(30);
    lb.remove('b');
    lb.add({ id: 'd', value: 'd' });
    lb.add({ id: 'b', value: 'b' });
    let previous = lb.inFlight;
    for (let ms = 0; ms < 100; ms += 10) {
      await clock.tickAsync(10);
      expect(lb.inFlight).toBeLessThanOrEqual(previous);
      previous = lb.inFlight;
    }
    await expect(Promise.all(calls)).resolves.toHaveLength(30);
    expect(lb.inFlight).toBe(0);
    expect(lb.stats().reduce((sum, s) => sum + s.requests, 0)).toBe(30);
    expect(lb.stats().every((s) => s.inFlight === 0)).toBe(true);
  });

  it('counts a thrown error as a failure and rethrows it', async () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    await expect(lb.execute(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lb.stats()[0]).toMatchObject({ requests: 1, failures: 1, inFlight: 0 });
  });

  it('counts an error that isFailure rejects as a success of the endpoint', async () => {
    const lb = new LoadBalancer(endpoints('a'), { ...options(), isFailure: () => false });
    await expect(lb.execute(() => Promise.reject(new Error('404')))).rejects.toThrow('404');
    expect(lb.stats()[0]).toMatchObject({ requests: 1, failures: 0 });
  });

  it('ends the request and rejects with the error isFailure throws', async () => {
    const lb = new LoadBalancer(endpoints('a'), {
      ...options(),
      isFailure: () => {
        throw new Error('classifier bug');
      },
    });
    const run = lb.execute(() => Promise.reject(new Error('404')));
    const drained = lb.whenDrained('a');
    await expect(run).rejects.toThrow('classifier bug');
    expect(lb.inFlight).toBe(0);
    expect(lb.stats()[0]).toMatchObject({ requests: 0, failures: 0, inFlight: 0 });
    await expect(drained).resolves.toBeUndefined();
  });

  it('releases without an outcome when the caller aborts', async () => {
    const clock = new ManualClock();
    const lb = new LoadBalancer(endpoints('a'), options(clock));
    const controller = new AbortController();
    const run = lb.execute((_value, { signal }) => clock.sleep(1_000, signal), { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(run).rejects.toThrow('stop');
    expect(lb.stats()[0]).toMatchObject({ requests: 0, failures: 0, inFlight: 0 });
  });

  it('rejects with the abort reason before picking when the signal is already aborted', async () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    const reason = new Error('already');
    let called = false;
    await expect(lb.execute(async () => (called = true), { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(called).toBe(false);
  });

  it('throws NoEndpointAvailableError when it has no endpoints', () => {
    expect.assertions(1);
    try {
      new LoadBalancer([], options()).acquire();
    } catch (error) {
      expect(isNoEndpointAvailableError(error)).toBe(true);
    }
  });

  it('ends a lease only once', () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    const lease = lb.acquire();
    lease.failure();
    lease.success();
    lease.release();
    expect(lb.stats()[0]).toMatchObject({ requests: 1, failures: 1, inFlight: 0 });
  });

  it('keeps tracking in-flight requests of a removed endpoint until they end', () => {
    const lb = new LoadBalancer(endpoints('a', 'b'), options());
    const lease = lb.acquire();
    lb.remove(lease.endpoint.id);
    expect(lb.inFlight).toBe(1);
    expect(lb.stats().find((s) => s.id === lease.endpoint.id)).toMatchObject({ draining: true, inFlight: 1 });
    lease.success();
    expect(lb.inFlight).toBe(0);
    expect(lb.stats().map((s) => s.id)).toEqual(['a', 'b'].filter((id) => id !== lease.endpoint.id));
  });

  it('routes to an endpoint as soon as it is added', () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    lb.add({ id: 'b', value: 'b' });
    const ids = Array.from({ length: 4 }, () => {
      const lease = lb.acquire();
      lease.release();
      return lease.endpoint.id;
    });
    expect(new Set(ids)).toEqual(new Set(['a', 'b']));
  });

  it('releases a lease without an outcome when it is disposed', () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    const lease = lb.acquire();
    lease[Symbol.dispose]();
    expect(lease.ended).toBe(true);
    expect(lb.stats()[0]).toMatchObject({ inFlight: 0, requests: 0 });
  });

  it('never routes to a removed endpoint', () => {
    const lb = new LoadBalancer(endpoints('a', 'b', 'c'), options());
    lb.remove('b');
    const ids = Array.from({ length: 6 }, () => lb.acquire().endpoint.id);
    expect(ids).not.toContain('b');
  });

  it('revives a draining endpoint with its in-flight count when it is added again', () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    const lease = lb.acquire();
    lb.remove('a');
    lb.add({ id: 'a', value: 'a2' });
    expect(lb.stats()[0]).toMatchObject({ id: 'a', inFlight: 1, draining: false });
    lease.success();
    expect(lb.stats()[0]).toMatchObject({ inFlight: 0, requests: 1 });
  });

  it('resolves whenDrained once the last lease of an endpoint ends', async () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    const lease = lb.acquire();
    lb.remove('a');
    let drained = false;
    const waiting = lb.whenDrained('a').then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    lease.release();
    await waiting;
    expect(drained).toBe(true);
  });

  it('rejects whenDrained with the abort reason and stops waiting', async () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    lb.acquire();
    const controller = new AbortController();
    const waiting = lb.whenDrained('a', controller.signal);
    controller.abort(new Error('enough'));
    await expect(waiting).rejects.toThrow('enough');
  });

  it('rejects a non-positive weight with a validation error', () => {
    expect.assertions(1);
    try {
      new LoadBalancer([{ id: 'a', value: 1, weight: -1 }]);
    } catch (error) {
      expect(isValidationError(error)).toBe(true);
    }
  });

  it('refuses endpoints that repeat an id, listing each repeat, and builds nothing', () => {
    expect.assertions(2);
    try {
      new LoadBalancer([...endpoints('a', 'b', 'a'), { id: 'b', value: 'b2' }], options());
    } catch (error) {
      expect(isValidationError(error)).toBe(true);
      expect(
        (error as { issues: { path: unknown[] }[] }).issues.map((issue) => issue.path.join('.')),
      ).toEqual(['endpoints.2.id', 'endpoints.3.id']);
    }
  });

  it('refuses to add an endpoint whose id is already in rotation, and changes nothing', () => {
    const lb = new LoadBalancer(endpoints('a', 'b'), options());
    let caught: unknown;
    try {
      lb.add({ id: 'a', value: 'other', weight: 5 });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect(lb.endpoints().map((e) => [e.id, e.value, e.weight])).toEqual([
      ['a', 'a', 1],
      ['b', 'b', 1],
    ]);
  });

  it('refuses ids that are not non-empty strings', () => {
    expect(() => new LoadBalancer([{ id: '', value: 1 }])).toThrow(/id/);
    expect(() => new LoadBalancer([{ id: 7 as unknown as string, value: 1 }])).toThrow(/id/);
  });

  it('updates the value and weight of an endpoint in rotation, keeping its in-flight count', () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    const lease = lb.acquire();
    lb.update({ id: 'a', value: 'a2', weight: 3 });
    expect(lb.endpoints()[0]).toMatchObject({ id: 'a', value: 'a2', weight: 3, inFlight: 1 });
    lease.success();
    expect(lb.stats()[0]).toMatchObject({ inFlight: 0, requests: 1 });
  });

  it('refuses to update an unknown endpoint with a NotFoundError', () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    let caught: unknown;
    try {
      lb.update({ id: 'zz', value: 'zz' });
    } catch (error) {
      caught = error;
    }
    expect(isNotFoundError(caught)).toBe(true);
  });
});

describe('LoadBalancer signals', () => {
  /** Runs `body` and returns the process warnings it caused (Node emits them on the next tick). */
  async function warningsDuring(body: () => Promise<unknown>): Promise<Error[]> {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await body();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    return warnings;
  }

  /**
   * 25 concurrent calls whose callbacks hang a listener on their signal, as fetch and sleep do.
   * Returns the signals the callbacks saw and the caller signal's listeners while all were running.
   */
  async function concurrentCalls(
    signal: AbortSignal | undefined,
  ): Promise<{ seen: AbortSignal[]; callerListeners: number }> {
    const clock = new ManualClock();
    const lb = new LoadBalancer(endpoints('a', 'b', 'c'), options(clock));
    const seen: AbortSignal[] = [];
    const calls = Array.from({ length: 25 }, () =>
      lb.execute(
        async (_value, context) => {
          seen.push(context.signal);
          await clock.sleep(10, context.signal);
        },
        signal === undefined ? {} : { signal },
      ),
    );
    await Promise.resolve();
    const callerListeners = signal === undefined ? 0 : getEventListeners(signal, 'abort').length;
    await clock.tickAsync(10);
    await Promise.all(calls);
    return { seen, callerListeners };
  }

  it('gives no MaxListenersExceededWarning to 25 concurrent calls that read a shared caller signal', async () => {
    const controller = new AbortController();
    let run = { seen: [] as AbortSignal[], callerListeners: -1 };
    const warnings = await warningsDuring(async () => (run = await concurrentCalls(controller.signal)));
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    expect(run.callerListeners).toBe(1);
    expect(new Set(run.seen).size).toBe(25);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('gives no MaxListenersExceededWarning to 25 concurrent calls without a caller signal', async () => {
    let seen: AbortSignal[] = [];
    const warnings = await warningsDuring(async () => ({ seen } = await concurrentCalls(undefined)));
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    // A signal shared by every call would collect all 25 listeners (and warn once per process).
    expect(new Set(seen).size).toBe(25);
  });

  it('gives each call a signal of its own that aborts with the caller’s reason', async () => {
    const clock = new ManualClock();
    const lb = new LoadBalancer(endpoints('a', 'b'), options(clock));
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const calls = Array.from({ length: 12 }, () =>
      lb.execute(
        async (_value, { signal }) => {
          seen.push(signal);
          await clock.sleep(1_000, signal);
        },
        { signal: controller.signal },
      ),
    );
    controller.abort(new Error('caller left'));
    const outcomes = await Promise.allSettled(calls);
    expect(new Set(seen).size).toBe(12);
    expect(seen.every((signal) => signal !== controller.signal && signal.aborted)).toBe(true);
    expect(
      outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'caller left'),
    ).toBe(true);
    expect(lb.inFlight).toBe(0);
  });

  it('lets whenDrained waiters share one listener on a long-lived signal', async () => {
    const lb = new LoadBalancer(endpoints('a'), options());
    const lease = lb.acquire();
    lb.remove('a');
    const controller = new AbortController();
    const warnings = await warningsDuring(async () => {
      const waits = Array.from({ length: 20 }, () => lb.whenDrained('a', controller.signal));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      lease.release();
      await Promise.all(waits);
    });
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
